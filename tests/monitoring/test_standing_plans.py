"""The standing monitoring plans behind the provider home: stored per series, marked stale by any write to
their facts, computed again on the next read, and read at `now` as time passes (frozen time)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from clinic.extensions import db
from clinic.models.patient import Patient
from clinic.models.plan_item import StandingPlanItem
from clinic.models.series import Series
from clinic.services.monitoring_plans import active_series, overdue_page, plans_for, refresh_standing_plans
from tests.factories import book_series, make_clinic, make_user
from tests.web.test_login import _sign_in

AFTER_DOSE_1 = datetime(2027, 3, 8, 17, 0, tzinfo=UTC)  # dose 1: Mon 8 March 09:00 New York (14:00 UTC)


@pytest.fixture
def booked(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        doses = [a.id for a in series.appointments if a.kind == "dose"]
        return {**clinic, "series_id": series.id, "doses": doses}


def _overdue_keys(provider_id, now):
    return {(item.key, item.appointment_id) for _, item in overdue_page(now, provider_id).items}


def _stale(series_id) -> bool:
    db.session.expire_all()
    return db.session.get(Series, series_id).plan_stale


def test_a_read_computes_a_stale_plan_once_and_time_passing_needs_no_write(app, booked):
    with app.app_context():
        assert _stale(booked["series_id"])  # a new series has no standing plan yet
        assert ("bp_pre@1", booked["doses"][0]) in _overdue_keys(booked["provider_id"], AFTER_DOSE_1)
        db.session.commit()
        assert not _stale(booked["series_id"])
        rows = db.session.scalar(select(func.count()).select_from(StandingPlanItem))
        assert rows > 12 * 5  # every dose's items, the enrolment, the baseline and the follow-ups

        # Four days later, with nothing written: dose 2's items are overdue too, read from the same rows.
        later = AFTER_DOSE_1 + timedelta(days=4)
        assert refresh_standing_plans(later, provider_id=booked["provider_id"]) == 0
        overdue = _overdue_keys(booked["provider_id"], later)
        assert ("bp_pre@2", booked["doses"][1]) in overdue
        assert ("bp_pre@3", booked["doses"][2]) not in overdue  # not due yet


def test_any_write_to_the_facts_marks_the_series_stale_and_the_next_read_shows_it(app, booked, api_as):
    with app.app_context():
        _overdue_keys(booked["provider_id"], AFTER_DOSE_1)
        db.session.commit()
    later = AFTER_DOSE_1 + timedelta(days=4)

    # A visit of the series is cancelled through the API: its items leave the list.
    dose_2 = booked["doses"][1]
    cancelled = api_as("frontdesk").post(f"/api/v1/appointments/{dose_2}/cancel", json={"reason": "unwell"})
    assert cancelled.status_code == 200, cancelled.json
    with app.app_context():
        assert _stale(booked["series_id"])
        assert not any(visit == dose_2 for _, visit in _overdue_keys(booked["provider_id"], later))
        db.session.commit()

    # The patient's REMS enrolment is withdrawn (a write to the patient, not to the series).
    with app.app_context():
        assert ("rems_enrolment", None) not in _overdue_keys(booked["provider_id"], later)
        db.session.get(Patient, booked["patient_id"]).rems_enrolled_on = None
        db.session.commit()
        assert _stale(booked["series_id"])
        assert ("rems_enrolment", None) in _overdue_keys(booked["provider_id"], later)


def test_the_stored_lists_equal_the_plan_computed_at_every_moment(app, booked):
    """The SQL that picks overdue items and active series agrees with the domain's plan at `now`."""
    with app.app_context():
        moments = [datetime(2027, 2, 20, 12, tzinfo=UTC) + timedelta(hours=13 * k) for k in range(240)]
        for now in moments:
            stored = _overdue_keys(booked["provider_id"], now)
            computed = {
                (item.key, item.appointment_id)
                for plan in plans_for(active_series(now, booked["provider_id"]), now)
                for item in plan.plan.with_status("overdue")
            }
            assert stored == computed, now
        # The series stops being active 45 days after its last visit, so nothing is listed after that.
        assert _overdue_keys(booked["provider_id"], datetime(2027, 9, 1, tzinfo=UTC)) == set()


def test_two_reads_computing_one_stale_plan_at_once_store_it_once(app, booked, backend, monkeypatch):
    """Real threads, each with its own session. The first read to lock the stale series computes it; on
    PostgreSQL it goes on only once the second read is seen waiting for that row lock, which then finds the
    plan no longer stale (SQLite lets one writer in at a time, so there the second waits at its start)."""
    import clinic.services.monitoring_plans as plans

    evidence = plans._evidence
    seen_waiting = []

    def evidence_once_the_other_waits(series_list):
        if backend == "postgresql":
            seen_waiting.append(_wait_for_a_lock_wait(app))
        return evidence(series_list)

    monkeypatch.setattr(plans, "_evidence", evidence_once_the_other_waits)

    def read(_):
        with app.app_context():
            computed = refresh_standing_plans(AFTER_DOSE_1, provider_id=booked["provider_id"])
            db.session.commit()
            return computed

    with ThreadPoolExecutor(max_workers=2) as pool:
        computed = sorted(pool.map(read, range(2)))
    assert computed == [0, 1]
    assert seen_waiting == ([True] if backend == "postgresql" else [])
    with app.app_context():
        keys = db.session.scalars(select(StandingPlanItem.key)).all()
        assert len(keys) == len(set(keys)) > 0


def _wait_for_a_lock_wait(app, attempts: int = 400) -> bool:
    """Whether another connection is seen waiting for a row lock (polled for up to about 20 s)."""
    with app.app_context(), db.engine.connect() as connection:
        for _ in range(attempts):
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar()
            if waiting:
                return True
            threading.Event().wait(0.05)
    return False


def test_the_home_shows_the_most_urgent_and_the_list_pages_show_the_rest(app, client, clock, booked):
    clock.now = datetime(2027, 3, 22, 20, 0, tzinfo=UTC)  # after dose 5, nothing recorded
    with app.app_context():
        total = overdue_page(clock.now, booked["provider_id"], with_rems_forms=False).total
        db.session.commit()
    assert total > 20
    _sign_in(client, email="doc@example.com")
    home = client.get("/provider").get_data(as_text=True)
    assert f"Overdue monitoring <small>({total})</small>" in home
    assert f"Showing the 20 most urgent of {total}." in home
    assert home.count("Blood pressure before dose") <= 5 and "/provider/overdue" in home

    first = client.get("/provider/overdue").get_data(as_text=True)
    assert f"Rows 1-{min(total, 50)} of {total}" in first
    assert "Blood pressure before dose 1" in first and "Blood pressure before dose 5" in first
    assert client.get("/provider/overdue?page=7").status_code == 200  # past the end: a link back, no error
    refused = client.get("/provider/overdue?page=zero")
    assert refused.status_code == 400 and "page" in refused.get_data(as_text=True)
    assert client.get("/provider/rems-forms").status_code == 200
