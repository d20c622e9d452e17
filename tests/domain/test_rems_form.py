"""The REMS monitoring form filled from a session's facts, with `now` frozen."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from clinic.domain.rems_form import FormFacts, RemsFormStatus, SessionReading, build_rems_form

CHECKED_IN = datetime(2027, 3, 8, 13, 50, tzinfo=UTC)  # 08:50 in New York
DOSE = datetime(2027, 3, 8, 14, 15, tzinfo=UTC)
DISCHARGED = DOSE + timedelta(minutes=125)
NOW = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)


def _bp(timepoint, at, systolic=128, diastolic=82):
    return SessionReading("bp", at, timepoint=timepoint, systolic=systolic, diastolic=diastolic)


COMPLETE_READINGS = (
    _bp("pre", CHECKED_IN + timedelta(minutes=5)),
    _bp("post40", DOSE + timedelta(minutes=40), 138, 88),
    SessionReading("sedation", DOSE + timedelta(minutes=41), moaas=5),
    SessionReading("dissociation", DOSE + timedelta(minutes=42), cadss_total=0),
    _bp("discharge", DOSE + timedelta(minutes=110), 124, 80),
)


def _facts(**changes):
    values = dict(
        timezone="America/New_York",
        scheduled_start=datetime(2027, 3, 8, 14, 0, tzinfo=UTC),
        patient={"id": 1, "name": "Ada Quinn"},
        setting={"id": 2, "name": "Back Bay"},
        prescriber={"id": 3, "name": "Dr Rao"},
        checked_in_at=CHECKED_IN,
        dose_mg=Decimal("56.0"),
        devices=2,
        lot_number="LOT-2027-A",
        dose_given_at=DOSE,
        discharged_at=DISCHARGED,
        readings=COMPLETE_READINGS,
    )
    values.update(changes)
    return FormFacts(**values)


def test_a_complete_session_fills_every_field():
    form = build_rems_form(_facts(), NOW)
    assert form.session_date == date(2027, 3, 8)
    assert form.monitoring_started_at == DOSE
    assert form.monitoring_minutes == 125
    assert [(b.timepoint, b.systolic, b.diastolic) for b in form.blood_pressure] == [
        ("pre", 128, 82),
        ("post40", 138, 88),
        ("discharge", 124, 80),
    ]
    assert (form.sedation.observed, form.sedation.resolved) == (False, None)
    assert (form.dissociation.observed, form.dissociation.resolved) == (False, None)
    assert form.serious_adverse_event is False and form.serious_adverse_event_description is None
    assert form.missing == [] and form.complete
    assert form.due_by == date(2027, 3, 15)
    assert (form.status, form.days_left) == (RemsFormStatus.DUE, 6)


def test_session_date_is_the_local_date_of_the_dose_not_the_utc_one():
    late = datetime(2027, 3, 9, 2, 30, tzinfo=UTC)  # 21:30 on 8 March in New York
    form = build_rems_form(_facts(dose_given_at=late, discharged_at=late + timedelta(hours=2)), NOW)
    assert form.session_date == date(2027, 3, 8)
    assert form.due_by == date(2027, 3, 15)


def test_an_unrecorded_session_lists_every_missing_field():
    form = build_rems_form(
        _facts(
            dose_mg=None, devices=None, lot_number=None, dose_given_at=None, discharged_at=None, readings=()
        ),
        NOW,
    )
    assert form.missing == [
        "dose_mg",
        "devices",
        "lot_number",
        "monitoring_started_at",
        "discharged_at",
        "blood_pressure.pre",
        "blood_pressure.post40",
        "blood_pressure.discharge",
        "sedation",
        "dissociation",
    ]
    assert form.monitoring_minutes is None
    assert form.session_date == date(2027, 3, 8)  # the scheduled day while no dose is recorded


def test_sedation_and_dissociation_observed_and_whether_they_resolved():
    readings = (
        *COMPLETE_READINGS,
        SessionReading("sedation", DOSE + timedelta(minutes=20), moaas=3),
        SessionReading("dissociation", DOSE + timedelta(minutes=90), cadss_total=12),
    )
    form = build_rems_form(_facts(readings=readings), NOW)
    assert (form.sedation.observed, form.sedation.resolved) == (True, True)  # back to 5 at 41 minutes
    assert (form.dissociation.observed, form.dissociation.resolved) == (True, False)


def test_a_sedation_score_before_the_dose_is_not_an_observation_of_the_session():
    readings = (
        *(r for r in COMPLETE_READINGS if r.instrument != "sedation"),
        SessionReading("sedation", DOSE - timedelta(minutes=5), moaas=4),
    )
    form = build_rems_form(_facts(readings=readings), NOW)
    assert form.missing == ["sedation"]


def test_overrides_taken_at_discharge_are_on_the_form_with_their_reason():
    form = build_rems_form(
        _facts(
            discharged_at=DOSE + timedelta(minutes=95),
            discharge_overrides=["monitoring_incomplete"],
            discharge_override_reason="Family emergency; prescriber assessed",
        ),
        NOW,
    )
    assert form.monitoring_minutes == 95
    assert form.discharge_overrides == ["monitoring_incomplete"]
    assert form.discharge_override_reason == "Family emergency; prescriber assessed"
    assert build_rems_form(_facts(discharge_override_reason="stale"), NOW).discharge_override_reason is None


def test_a_serious_adverse_event_is_reported_only_when_one_is_recorded():
    form = build_rems_form(_facts(serious_adverse_event="Transient hypertension 182/112"), NOW)
    assert form.serious_adverse_event is True
    assert form.serious_adverse_event_description == "Transient hypertension 182/112"


def test_status_is_due_through_the_local_due_date_then_overdue_then_submitted():
    last_day = datetime(2027, 3, 16, 3, 59, tzinfo=UTC)  # 23:59 on 15 March in New York
    form = build_rems_form(_facts(), last_day)
    assert (form.status, form.days_left) == (RemsFormStatus.DUE, 0)
    form = build_rems_form(_facts(), last_day + timedelta(minutes=2))
    assert (form.status, form.days_left) == (RemsFormStatus.OVERDUE, -1)
    sent = build_rems_form(_facts(submitted_at=NOW, submitted_by="Dr Rao"), last_day + timedelta(days=3))
    assert sent.status is RemsFormStatus.SUBMITTED
