"""The version a fetch reads (`_lookup`) moves with every input of what a feed shows, whichever way it was
written (here with bare UPDATE and INSERT statements, as a bulk job would), and as time passes: on PostgreSQL
a digest of the rows' ids and row versions, on SQLite of the values themselves. A version once left is never
given again for another state, so no worker's render cache can serve an older body."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Table, insert, select, update

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.rems_form import RemsForm
from clinic.models.transport import Transport
from clinic.services import feeds
from clinic.services.feeds import issue_feed
from tests.factories import FACTORY_ACTOR, book_series, make_clinic


def _table(model) -> Table:
    return model.__table__


@pytest.fixture
def booked(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        return {**clinic, "appointments": [a.id for a in series.appointments]}


def _issue(app, owner_type: str, owner_id: int, now: datetime) -> str:
    """The token hash of a new feed for the owner."""
    with app.app_context():
        issued = issue_feed(owner_type, owner_id, FACTORY_ACTOR, now)
        db.session.commit()
        return feeds._hash(issued.url.rsplit("/", 1)[1].removesuffix(".ics"))


class Versions:
    """The versions a feed's fetches read, each asserted new: never one seen before."""

    def __init__(self, app, token_hash: str, clock) -> None:
        self.app, self.token_hash, self.clock = app, token_hash, clock
        self.seen: list[str] = []
        self.assert_new("issued")

    def read(self) -> str:
        with self.app.app_context():
            found = feeds._lookup(self.token_hash, self.clock.now)
            assert found is not None and found.version is not None
            return found.version

    def assert_new(self, what: str) -> None:
        version = self.read()
        assert version not in self.seen, f"{what}: the version did not move"
        self.seen.append(version)
        assert self.read() == version, f"{what}: the version is not stable"


def _run(app, *statements) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()


def test_every_input_of_a_patient_feed_moves_its_version(app, booked, clock):
    versions = Versions(app, _issue(app, "patient", booked["patient_id"], clock.now), clock)
    first, last = booked["appointments"][0], booked["appointments"][-1]
    with app.app_context():
        visit = db.session.get(Appointment, first)
        chair_id, location_id, patient_id = visit.chair_id, visit.location_id, visit.patient_id
        ride = db.session.scalar(select(Transport.id).where(Transport.appointment_id == first))
    assert chair_id is not None and ride is not None

    appointments, rides, forms = _table(Appointment), _table(Transport), _table(RemsForm)
    _run(
        app,
        update(appointments).where(appointments.c.id == first).values(sequence=appointments.c.sequence + 1),
    )
    versions.assert_new("a visit's SEQUENCE")
    _run(app, update(rides).where(rides.c.id == ride).values(contact_phone="+16175550123"))
    versions.assert_new("a ride's phone")
    _run(app, update(rides).where(rides.c.id == ride).values(status="confirmed"))
    versions.assert_new("a ride's status")
    _run(
        app,
        insert(forms).values(
            appointment_id=first, submitted_at=clock.now, submitted_by_label="RN", confirmation="C-1"
        ),
    )
    versions.assert_new("a REMS form submitted")
    _run(
        app,
        update(forms).where(forms.c.appointment_id == first).values(submitted_at=clock.now + timedelta(1)),
    )
    versions.assert_new("a REMS form's time")
    _run(app, update(_table(Patient)).where(_table(Patient).c.id == patient_id).values(phone="+16175550111"))
    versions.assert_new("the patient's phone")
    _run(app, update(_table(Patient)).where(_table(Patient).c.id == patient_id).values(calendar_alarms=True))
    versions.assert_new("the patient's alarms (the owner's settings)")
    _run(app, update(_table(Chair)).where(_table(Chair).c.id == chair_id).values(name="Room Blue"))
    versions.assert_new("a chair's name")
    locations = _table(Location)
    _run(app, update(locations).where(locations.c.id == location_id).values(phone="+16175550199"))
    versions.assert_new("the location's phone")
    _run(app, update(locations).where(locations.c.id == location_id).values(timezone="America/Chicago"))
    versions.assert_new("the location's zone")

    # A visit cancelled shows for a grace period, then leaves the feed.
    _run(
        app,
        update(appointments)
        .where(appointments.c.id == last)
        .values(status="cancelled", updated_at=clock.now),
    )
    versions.assert_new("a visit cancelled")
    clock.advance(days=(feeds.CANCELLED_GRACE + timedelta(days=1)).days)
    versions.assert_new("a cancelled visit's grace period ending")
    # Time passing: the first visits (March 2027) leave the window's back.
    clock.advance(days=60)
    versions.assert_new("visits leaving the window")


@pytest.mark.parametrize(
    ("owner_type", "model", "key", "values"),
    [
        ("provider", Provider, "provider_id", {"feed_full_names": True}),
        ("location", Location, "location_id", {"name": "Riverside East"}),
    ],
)
def test_a_staff_feeds_settings_and_visits_move_its_version(
    app, backend, booked, clock, owner_type, model, key, values
):
    versions = Versions(app, _issue(app, owner_type, booked[key], clock.now), clock)
    table = _table(model)
    _run(app, update(table).where(table.c.id == booked[key]).values(**values))
    versions.assert_new("the owner's settings")
    appointments, first = _table(Appointment), booked["appointments"][0]

    def move(**values) -> None:
        with app.app_context():
            visit = db.session.get(Appointment, first)
            day = timedelta(days=1)
            start_at, end_at = visit.start_at + day, visit.end_at + day
        _run(
            app,
            update(appointments)
            .where(appointments.c.id == first)
            .values(start_at=start_at, end_at=end_at, **values),
        )

    # As a reschedule writes it: the new times and when they changed.
    move(updated_at=clock.now + timedelta(minutes=1))
    versions.assert_new("a visit moved")
    if backend == "postgresql":
        # Row versions catch even a write that leaves `updated_at` alone.
        move()
        versions.assert_new("a visit moved by a bare UPDATE")


def test_the_version_covers_every_table_the_feed_shows():
    """On PostgreSQL the version digests rows, not values: every table a shown value comes from must be one
    whose rows it digests (`_PER_VISIT_ROWS`, `_REFERENCED_ROWS`, the owner's)."""
    digested = {_table(Appointment)}
    digested |= {_table(model) for model in feeds._PER_VISIT_ROWS}
    digested |= {_table(model) for model in feeds._REFERENCED_ROWS}
    assert {column.table for column in feeds._SHOWN_COLUMNS} <= digested
    owners = {"patient": Patient, "provider": Provider, "location": Location}
    for owner_type, columns in feeds._SETTINGS_COLUMNS.items():
        assert {column.table for column in columns} == {_table(owners[owner_type])}
