"""A feed's version (`_lookup`) is kept up to date on write: every kind of write to what a feed shows, made
through the ORM as the services make it, gives the next fetch a new ETag; a rollback bumps nothing, and a
transaction that changes nothing a feed shows sends no statement for it. Time passing writes nothing, yet
moves visits into and out of the window, and ends a cancelled visit's grace period. On PostgreSQL two
transactions bumping the same feeds at once do not deadlock."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from clinic.domain.protocols import BUILTIN_PROTOCOLS, protocol_to_dict
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.feed import FeedVersion
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.protocol import Protocol
from clinic.models.provider import Provider
from clinic.models.rems_form import RemsForm
from clinic.models.transport import Transport
from clinic.services import feeds
from clinic.services.audit import record_event
from clinic.services.feed_versions import WATCHED
from clinic.services.feeds import issue_feed
from tests.factories import FACTORY_ACTOR, book_series, make_clinic, make_location, make_provider


class Feed:
    """One feed fetched through the app, remembering the ETags it answered."""

    def __init__(self, app, client, owner_type: str, owner_id: int, now: datetime) -> None:
        self.app, self.client = app, client
        with app.app_context():
            issued = issue_feed(owner_type, owner_id, FACTORY_ACTOR, now)
            db.session.commit()
        self.path = "/feeds/" + issued.url.rsplit("/", 1)[1]
        self.token_hash = feeds._hash(issued.url.rsplit("/", 1)[1].removesuffix(".ics"))
        self.etag = self.fetch()[0]

    def fetch(self) -> tuple[str, str]:
        answer = self.client.get(self.path)
        assert answer.status_code == 200
        return answer.headers["ETag"], answer.get_data(as_text=True)

    def assert_changed(self, what: str) -> str:
        etag, body = self.fetch()
        assert etag != self.etag, f"{what}: the feed did not change"
        self.etag = etag
        return body

    def version(self):
        with self.app.app_context():
            found = feeds._lookup(self.token_hash, datetime(2027, 3, 1, tzinfo=UTC))
            assert found is not None and found.version is not None
            return found.version


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


def _booked(app, clinic, clock) -> list[int]:
    with app.app_context():
        series = book_series(clinic, clock.now)
        return [visit.id for visit in sorted(series.appointments, key=lambda visit: visit.start_at)]


def _write(app, change, *args, **values) -> None:
    """`change(*args, **values)` in one transaction, committed."""
    with app.app_context():
        change(*args, **values)
        db.session.commit()


def _visit(visit_id: int) -> Appointment:
    return db.session.get_one(Appointment, visit_id)


def test_every_kind_of_write_gives_the_feeds_it_reaches_a_new_etag(app, client, clinic, clock):
    patient = Feed(app, client, "patient", clinic["patient_id"], clock.now)
    provider = Feed(app, client, "provider", clinic["provider_id"], clock.now)
    location = Feed(app, client, "location", clinic["location_id"], clock.now)
    visits = _booked(app, clinic, clock)
    for feed in (patient, provider, location):
        feed.assert_changed("a series booked")
    first, second = visits[0], visits[1]
    feeds_ = [patient, provider, location]

    def rebaseline() -> None:
        """Each feed's current ETag: a write is asserted against the state just before it."""
        for feed in feeds_:
            feed.etag = feed.fetch()[0]

    def write(change, *args, **values) -> None:
        rebaseline()
        _write(app, change, *args, **values)

    def set_values(model, row_id, **values):
        row = db.session.get_one(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)

    with app.app_context():
        chair_id = _visit(first).chair_id
        ride_id = db.session.scalar(select(Transport.id).where(Transport.appointment_id == first))
    assert chair_id is not None and ride_id is not None

    write(set_values, Appointment, first, status=VisitStatus.CHECKED_IN, checked_in_at=clock.now)
    location.assert_changed("a visit checked in")
    write(set_values, Transport, ride_id, status="arranged", contact_name="Sam")
    patient.assert_changed("a ride arranged")
    write(set_values, Transport, ride_id, status="confirmed")
    patient.assert_changed("a ride confirmed")
    write(
        lambda: db.session.add(
            RemsForm(
                appointment_id=first, submitted_at=clock.now, submitted_by_label="RN", confirmation="C-1"
            )
        ),
    )
    provider.assert_changed("a REMS form submitted")
    write(set_values, Patient, clinic["patient_id"], phone="+16175550111")
    provider.assert_changed("the patient's phone (the provider's feed shows it)")
    write(set_values, Patient, clinic["patient_id"], first_name="Zed")
    location.assert_changed("the patient's name (the location's feed shows the initials)")
    write(set_values, Patient, clinic["patient_id"], calendar_alarms=True)
    patient.assert_changed("the patient's alarms")
    write(set_values, Provider, clinic["provider_id"], feed_full_names=True)
    provider.assert_changed("the provider's setting")
    write(set_values, Chair, chair_id, name="Room Blue")
    location.assert_changed("a chair's name")
    with app.app_context():
        spec = next(iter(BUILTIN_PROTOCOLS.values()))
        custom = Protocol(
            code="custom-induction", name="Custom", definition=protocol_to_dict(spec), created_at=clock.now
        )
        db.session.add(custom)
        db.session.commit()
        protocol_id = custom.id
    # No visit here uses it, so the body stays; what counts is that every feed is read again.
    before = patient.version()
    _write(app, set_values, Protocol, protocol_id, name="Custom, edited")
    assert patient.version() != before, "a protocol edited (a dose booked outside a series shows its own)"
    write(set_values, Location, clinic["location_id"], phone="+16175550199")
    patient.assert_changed("the location's phone")
    write(set_values, Location, clinic["location_id"], timezone="America/Chicago")
    location.assert_changed("the location's zone")
    write(set_values, Appointment, second, status=VisitStatus.CANCELLED, updated_at=clock.now)
    patient.assert_changed("a visit cancelled")

    # Moved away: the feeds it leaves change too (the ids before the write).
    with app.app_context():
        other_provider = make_provider(db.session.get_one(Location, clinic["location_id"])).id
        other_location = make_location().id
        db.session.commit()
    others = Feed(app, client, "provider", other_provider, clock.now)
    feeds_.append(others)
    rebaseline()
    with app.app_context():
        visit = _visit(first)
        db.session.expire(visit)  # as a refresh leaves it: its provider is set without being read first
        visit.provider_id = other_provider
        db.session.commit()
    provider.assert_changed("a visit moved to another provider (the old one)")
    others.assert_changed("a visit moved to another provider (the new one)")
    feeds_.append(Feed(app, client, "location", other_location, clock.now))
    elsewhere = feeds_[-1]
    write(set_values, Appointment, first, location_id=other_location, chair_id=None)
    location.assert_changed("a visit moved to another location (the old one)")
    elsewhere.assert_changed("a visit moved to another location (the new one)")


def test_a_rollback_or_a_write_nothing_shows_bumps_nothing(app, client, clinic, clock):
    visits = _booked(app, clinic, clock)
    feed = Feed(app, client, "patient", clinic["patient_id"], clock.now)
    version = feed.version()
    with app.app_context():
        rows = db.session.execute(select(FeedVersion.__table__)).all()
        _visit(visits[0]).status = VisitStatus.CANCELLED
        db.session.flush()
        db.session.rollback()
        assert db.session.execute(select(FeedVersion.__table__)).all() == rows
    assert feed.version() == version

    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            visit = _visit(visits[0])
            visit.status = visit.status  # the same value: no modification
            record_event(FACTORY_ACTOR, "test.unrelated", clock.now, object_type="patient", object_id=1)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert statements, "the transaction wrote its audit row"
    assert not [statement for statement in statements if "feed_versions" in statement]
    assert feed.version() == version


def test_time_passing_moves_visits_in_and_out_without_writes(app, client, clinic, clock):
    visits = _booked(app, clinic, clock)
    first, cancelled, last = visits[0], visits[1], visits[-1]
    with app.app_context():
        uids = {visit_id: _visit(visit_id).uid for visit_id in visits}
        _visit(cancelled).status = VisitStatus.CANCELLED
        _visit(cancelled).updated_at = clock.now
        # Beyond the window (365 days ahead, to the end of that UTC day) until 5 March 2027.
        later = _visit(last)
        length = later.end_at - later.start_at
        later.start_at = datetime(2028, 3, 5, 15, tzinfo=UTC)
        later.end_at = later.start_at + length
        db.session.commit()
    feed = Feed(app, client, "patient", clinic["patient_id"], clock.now)
    body = feed.fetch()[1]
    assert uids[cancelled] in body and uids[first] in body and uids[last] not in body

    clock.advance(days=3)
    assert uids[last] not in feed.fetch()[1]
    clock.advance(days=2)
    assert uids[last] in feed.assert_changed("a visit entering the window")
    # Cancelled on 1 March: shown for 14 days, gone once the cut-off (whole days) passes it.
    clock.advance(days=9)
    assert uids[cancelled] in feed.fetch()[1]
    clock.advance(days=1)
    assert uids[cancelled] not in feed.assert_changed("a cancelled visit's grace period ending")
    # The first visit (8 March) leaves the window's back (30 days, whole days) in April.
    clock.advance(days=30)
    assert uids[first] not in feed.assert_changed("visits leaving the window")


def test_every_table_a_feed_shows_is_watched():
    """The flush hook bumps versions on writes to `WATCHED`: every value a feed shows must come from one."""
    watched = {model.__table__ for model in WATCHED}
    assert {column.table for column in feeds._SHOWN_COLUMNS} <= watched
    for columns in feeds._SETTINGS_COLUMNS.values():
        assert {column.table for column in columns} <= watched


ROUNDS = 20


def test_concurrent_writers_of_the_same_feeds_do_not_deadlock(app, backend, clinic, clock):
    """Two writers, each on its own connection, change visits of the same patient, provider and location at
    the same moment, round after round: each bumps the same feed_versions rows, in the same order."""
    if backend != "postgresql":
        pytest.skip("concurrent writers need a server database")
    visits = _booked(app, clinic, clock)
    before = _staff_versions(app)
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def writer(visit_id: int, also_patient: bool) -> None:
        try:
            with app.app_context():
                for round_ in range(ROUNDS):
                    barrier.wait()
                    visit = _visit(visit_id)
                    visit.sequence += 1
                    if also_patient:
                        db.session.get_one(Patient, clinic["patient_id"]).phone = f"+1617555{round_:04d}"
                    db.session.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
            barrier.abort()

    threads = [
        threading.Thread(target=writer, args=(visits[0], True)),
        threading.Thread(target=writer, args=(visits[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    # Every round both writers bumped both rows.
    assert _staff_versions(app) == {key: value + 2 * ROUNDS for key, value in before.items()}


def _staff_versions(app) -> dict[str, int]:
    with app.app_context():
        statement = select(FeedVersion.owner_type, FeedVersion.version).where(
            FeedVersion.owner_type.in_(("location", "provider"))
        )
        return {owner_type: version for owner_type, version in db.session.execute(statement)}
