"""The PHQ-9 and GAD-7 as a patient or a clinician sees them: each question's standard text, the four
answers in words, which questionnaires a visit asks for, and reading posted answers.

The wording is the standard one (Kroenke, Spitzer & Williams; free to reproduce): "Over the last 2 weeks, how
often have you been bothered by any of the following problems?". Scoring lives in
`clinic.domain.monitoring.measurements`; this module only turns form fields into item scores.

Form fields: the PHQ-9 answers post as `item1`..`item9`, the GAD-7 answers as `gad1`..`gad7`; each is one of
"0".."3". A missing or other value is refused with the field's name, so nothing half-answered is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from clinic.domain.monitoring.measurements import ITEM_MAX, MeasurementError

ANSWER_LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9_QUESTIONS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite, being so fidgety or "
    "restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
GAD7_QUESTIONS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)


class Questionnaire(StrEnum):
    """A questionnaire a patient fills in; the value is the measurement instrument it is stored as."""

    PHQ9 = "phq9"
    GAD7 = "gad7"

    @property
    def label(self) -> str:
        """The instrument's printed name. Not `title`, which would shadow `str.title`."""
        return {"phq9": "PHQ-9", "gad7": "GAD-7"}[self.value]

    @property
    def questions(self) -> tuple[str, ...]:
        return PHQ9_QUESTIONS if self is Questionnaire.PHQ9 else GAD7_QUESTIONS

    @property
    def field_prefix(self) -> str:
        """The form fields' prefix: item1..item9 for the PHQ-9, gad1..gad7 for the GAD-7."""
        return "item" if self is Questionnaire.PHQ9 else "gad"

    @property
    def maximum(self) -> int:
        return len(self.questions) * ITEM_MAX


def questionnaires_for_visit(kind: str, dose_number: int | None) -> tuple[Questionnaire, ...]:
    """The questionnaires the monitoring plan asks for before a visit.

    The PHQ-9 before every dose and follow-up; the GAD-7 as well where the plan asks for it: before the
    first dose of a series (its baseline) and at follow-ups.
    """
    if kind == "follow_up" or (kind == "dose" and dose_number == 1):
        return (Questionnaire.PHQ9, Questionnaire.GAD7)
    return (Questionnaire.PHQ9,)


_ANSWER_VALUES = {str(value): value for value in range(ITEM_MAX + 1)}


def read_answers(
    form: Mapping[str, str], questionnaires: tuple[Questionnaire, ...]
) -> dict[Questionnaire, list[int]]:
    """The item scores of each questionnaire from posted form fields.

    MeasurementError names the first field (e.g. `item3`, `gad7`) without one of the four answers.
    """
    answers: dict[Questionnaire, list[int]] = {}
    for questionnaire in questionnaires:
        items = []
        for number in range(1, len(questionnaire.questions) + 1):
            name = f"{questionnaire.field_prefix}{number}"
            value = _ANSWER_VALUES.get((form.get(name) or "").strip())
            if value is None:
                raise MeasurementError(
                    name, f"{questionnaire.label} question {number} needs one of the four answers"
                )
            items.append(value)
        answers[questionnaire] = items
    return answers


def unanswered(form: Mapping[str, str], questionnaire: Questionnaire) -> list[int]:
    """The question numbers of a questionnaire without a valid answer in the posted form."""
    return [
        number
        for number in range(1, len(questionnaire.questions) + 1)
        if (form.get(f"{questionnaire.field_prefix}{number}") or "").strip() not in _ANSWER_VALUES
    ]


__all__ = [
    "ANSWER_LABELS",
    "GAD7_QUESTIONS",
    "PHQ9_QUESTIONS",
    "Questionnaire",
    "questionnaires_for_visit",
    "read_answers",
    "unanswered",
]
