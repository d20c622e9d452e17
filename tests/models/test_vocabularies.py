"""Status vocabularies are stored as their words, guarded by CHECK constraints, and read back as members;
the lifecycle predicates give the same answer in Python and in SQL."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from clinic.domain.transport import TransportStatus
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.transport import Transport
from tests.factories import FACTORY_NOW, book_series, make_clinic


@pytest.mark.parametrize(
    ("table", "column"),
    [("appointments", "status"), ("transports", "status"), ("reminders", "status"), ("series", "status")],
)
def test_a_word_outside_the_vocabulary_is_refused_by_the_database(app_ctx, table, column):
    book_series(make_clinic(), FACTORY_NOW)
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE {table} SET {column} = 'done'"))  # noqa: S608
        db.session.flush()
    db.session.rollback()


def test_statuses_load_as_members_and_predicates_agree_in_python_and_sql(app_ctx):
    series = book_series(make_clinic(), FACTORY_NOW)
    visits = series.appointments
    visits[0].status, visits[1].status, visits[2].status = (
        VisitStatus.CHECKED_IN,
        VisitStatus.CANCELLED,
        VisitStatus.COMPLETED,
    )
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.scalars(select(Appointment).where(Appointment.series_id == series.id)).all()
    assert all(isinstance(a.status, VisitStatus) for a in loaded)
    assert isinstance(db.session.scalars(select(Transport)).first().status, TransportStatus)
    for predicate in ("holds_slot", "is_open", "dose_given"):
        in_sql = set(
            db.session.scalars(
                select(Appointment.id).where(
                    Appointment.series_id == series.id, getattr(Appointment, predicate)
                )
            )
        )
        assert in_sql == {a.id for a in loaded if getattr(a, predicate)}, predicate
    loaded[0].status = "done"
    with pytest.raises(StatementError, match="not a valid VisitStatus"):
        db.session.flush()
