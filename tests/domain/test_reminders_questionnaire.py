"""The questionnaire reminder: 24 h before each dose, and before a follow-up whose questionnaires the
monitoring plan asks for (`VisitFacts.questionnaire_due`); quiet hours and late bookings as for the others."""

from dataclasses import replace
from datetime import date, timedelta

from clinic.domain.reminders import ReminderKind, plan_visit_reminders
from tests.domain.test_reminders import at, prefs, visit

FOLLOW_UP = at(date(2027, 4, 14), 10)  # Wed 14 April 2027, 10:00 in New York
NOW = at(date(2027, 3, 1), 12)


def _questionnaires(planned):
    return [p for p in planned if p.kind == ReminderKind.QUESTIONNAIRE]


def test_a_follow_up_whose_questionnaires_are_due_gets_the_reminder_24_hours_before():
    facts = replace(visit(FOLLOW_UP, kind="follow_up", minutes=30), questionnaire_due=True)
    planned = plan_visit_reminders(facts, prefs(("email", "sms")), NOW)
    asked = _questionnaires(planned)
    assert [(p.channel, p.due_at) for p in asked] == [
        ("email", FOLLOW_UP - timedelta(hours=24)),
        ("sms", FOLLOW_UP - timedelta(hours=24)),
    ]
    assert len({p.key for p in asked}) == 2 and all(":questionnaire:" in p.key for p in asked)
    assert sorted({p.kind for p in planned}) == ["questionnaire", "visit_24h"]


def test_a_follow_up_without_due_questionnaires_and_other_visits_get_none():
    assert (
        _questionnaires(plan_visit_reminders(visit(FOLLOW_UP, kind="follow_up", minutes=30), prefs(), NOW))
        == []
    )
    consult = visit(FOLLOW_UP, kind="consult", minutes=30)
    assert _questionnaires(plan_visit_reminders(consult, prefs(), NOW)) == []


def test_every_dose_gets_it_whatever_the_flag():
    assert len(_questionnaires(plan_visit_reminders(visit(FOLLOW_UP), prefs(), NOW))) == 1


def test_quiet_hours_and_a_late_booking_move_or_drop_it():
    early = at(date(2027, 4, 14), 7)  # 24 h before is 07:00, inside the default quiet hours (21:00-08:00)
    facts = replace(visit(early, kind="follow_up", minutes=30), questionnaire_due=True)
    [moved] = _questionnaires(plan_visit_reminders(facts, prefs(), NOW))
    assert moved.due_at == at(date(2027, 4, 12), 20, 45)  # 15 minutes before the quiet hours began

    facts = replace(visit(FOLLOW_UP, kind="follow_up", minutes=30), questionnaire_due=True)
    late = FOLLOW_UP - timedelta(hours=1)  # booked at 09:00 for 10:00: it goes now
    [now_sent] = _questionnaires(plan_visit_reminders(facts, prefs(), late))
    assert now_sent.due_at == late
    too_late = FOLLOW_UP - timedelta(minutes=20)
    assert _questionnaires(plan_visit_reminders(facts, prefs(), too_late)) == []
