"""One transaction per request, and the audit of every patient record it read.

Views parse, check access, call one use case and build their answer; they never commit. Once the answer is
built, this commits if it is a success (1xx-3xx) and rolls back otherwise, so a request either answers 2xx
and is saved, or answers 4xx/5xx and writes nothing. A commit that fails turns into the error answer.

Before that commit, every patient whose records the request loaded (a patient row, or any row carrying a
`patient_id`) gets one `patient.read` audit row naming who read it and through which page or endpoint. The
rows are collected by an ORM load event, so no view can forget to audit.
"""

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.models.base import Base
from clinic.models.patient import Patient
from clinic.services.actor import Actor
from clinic.services.audit import record_reads

# Endpoints that write their own, more specific audit row for what they disclose (a feed fetch).
SELF_AUDITED_ENDPOINTS = frozenset({"feeds.feed"})


def _patient_id_of(record: object) -> int | None:
    if isinstance(record, Patient):
        return record.id
    return getattr(record, "patient_id", None)


def _note_loaded(record: object, _context: object) -> None:
    if not has_request_context():
        return
    seen = g.get("patients_read")
    if seen is not None:
        patient_id = _patient_id_of(record)
        if patient_id is not None:
            seen.add(patient_id)


def _start_request() -> None:
    g.patients_read = set()


def _request_actor() -> Actor:
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    return Actor(user=user, remote_addr=request.remote_addr or "", label="" if user else "patient-link")


def _patients_in_session() -> set[int]:
    """Patients of the rows still held by the session (rows loaded before this request's load events)."""
    found = set()
    for record in list(db.session.identity_map.values()):
        patient_id = _patient_id_of(record)
        if patient_id is not None:
            found.add(patient_id)
    return found


def _audit_reads() -> None:
    if request.endpoint in SELF_AUDITED_ENDPOINTS:
        return
    patients = g.get("patients_read", set()) | _patients_in_session()
    if patients:
        record_reads(_request_actor(), sorted(patients), utcnow(), via=request.endpoint or request.path)


def _finish(response: Response) -> Response:
    if not db.session.registry.has():
        return response  # the request never opened a session: nothing was read or written through it
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        _audit_reads()
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        return current_app.make_response(_commit_failure_answer(error))
    return response


def _commit_failure_answer(error: Exception):
    from clinic.errors import answer_for_commit_failure

    return answer_for_commit_failure(error)


def register_unit_of_work(app: Flask) -> None:
    """Register last, so the commit runs before the other after-request hooks see the final answer."""
    if not event.contains(Base, "load", _note_loaded):
        event.listen(Base, "load", _note_loaded, propagate=True)
    app.before_request(_start_request)
    app.after_request(_finish)
