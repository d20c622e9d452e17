"""WTForms of the staff pages (CSRF-protected by Flask-WTF)."""

from collections.abc import Callable
from datetime import date, datetime

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from clinic.clock import utcnow
from clinic.domain.plausible import Span, visit_days
from clinic.domain.questionnaires import GAD7_QUESTIONS as GAD7_QUESTIONS  # one home, shared with /q/
from clinic.domain.questionnaires import PHQ9_QUESTIONS as PHQ9_QUESTIONS
from clinic.domain.transport import TransportStatus
from clinic.domain.visits import JOIN_URL_LENGTH
from clinic.services.commands import CheckIn, Discharge, RecordDose, UndoCheckIn
from clinic.web.phone import to_e164

SCOPE_CHOICES = [
    SelectChoice("this", "Only this visit"),
    SelectChoice("following", "This and the later visits of the series"),
]


class Within:
    """Refuses a date outside the span `span(now)` gives; a local date and time is judged by its day.

    `message` may name the span's ends as ``{earliest}`` and ``{latest}``.
    """

    def __init__(self, span: Callable[[datetime], Span[date]], message: str) -> None:
        self.span, self.message = span, message

    def __call__(self, form: FlaskForm, field) -> None:
        if field.data is None:
            return
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        span = self.span(utcnow())
        if day not in span:
            raise ValidationError(
                self.message.format(earliest=span.earliest.isoformat(), latest=span.latest.isoformat())
            )


VISIT_DAY_MESSAGE = "Choose a day between {earliest} and {latest}"


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class LogoutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, so another site cannot sign a user out."""


class PatientSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField("Name, e-mail or phone", validators=[Length(max=100)])


TRANSPORT_MODE_CHOICES = [
    SelectChoice("driver", "Driver (friend or family)"),
    SelectChoice("taxi", "Taxi"),
    SelectChoice("medical_transport", "Medical transport"),
]


class SeriesForm(FlaskForm):
    patient_id = IntegerField("Patient", validators=[InputRequired(message="Choose a patient")])
    protocol = SelectField("Protocol", validators=[InputRequired()])
    location_id = SelectField("Location", coerce=int, validators=[InputRequired()])
    provider_id = SelectField("Provider", coerce=int, validators=[InputRequired()])
    start_date = DateField(
        "First dose on", validators=[InputRequired(), Within(visit_days, VISIT_DAY_MESSAGE)]
    )
    start_time = TimeField("At (local time)", validators=[InputRequired()])
    interval_weeks = IntegerField(
        "Every how many weeks (maintenance)", validators=[Optional(), NumberRange(1, 2)]
    )
    doses = IntegerField("Number of doses (maintenance)", validators=[Optional(), NumberRange(1, 52)])
    rems_override_reason = StringField("REMS override reason", validators=[Optional(), Length(max=500)])
    ride_mode = SelectField(
        "Default ride home",
        choices=[SelectChoice("", "None yet (chase each ride)"), *TRANSPORT_MODE_CHOICES],
        validate_choice=False,  # left out means none; a mode the location refuses is the use case's 422
    )
    ride_contact_name = StringField("Driver or company", validators=[Optional(), Length(max=200)])
    ride_contact_phone = StringField("Their phone", validators=[Optional(), Length(max=30)])
    join_url = StringField(
        "Join link of virtual sessions (https://…)",
        validators=[Optional(), Length(max=JOIN_URL_LENGTH)],
        description="https:// address of the video room, when the protocol has virtual sessions",
    )

    def validate_ride_contact_phone(self, field) -> None:
        if field.data and to_e164(field.data) is None:
            raise ValidationError("Not a valid phone number, e.g. (617) 555-0100 or +16175550100")

    def default_ride(self) -> dict | None:
        """The ride every dose of the series gets (arranged), or None to chase each ride."""
        if not self.ride_mode.data:
            return None
        return {
            "mode": self.ride_mode.data,
            "contact_name": self.ride_contact_name.data or None,
            "contact_phone": to_e164(self.ride_contact_phone.data),
        }

    def series_data(self) -> dict:
        parameters = {
            name: getattr(self, name).data
            for name in ("interval_weeks", "doses")
            if getattr(self, name).data is not None and self.protocol.data == "spravato-maintenance"
        }
        return {
            "patient_id": self.patient_id.data,
            "protocol": self.protocol.data,
            "location_id": self.location_id.data,
            "provider_id": self.provider_id.data,
            "start_date": self.start_date.data,
            "start_time": self.start_time.data,
            "parameters": parameters,
            "rems_override_reason": self.rems_override_reason.data or None,
            "default_ride": self.default_ride(),
            "join_url": (self.join_url.data or "").strip() or None,
        }


class RescheduleForm(FlaskForm):
    new_start = DateTimeLocalField(
        "New start (local time)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(), Within(visit_days, VISIT_DAY_MESSAGE)],
    )
    scope = SelectField(
        "Move",
        choices=SCOPE_CHOICES,
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class AwareInstantField(StringField):
    """An ISO 8601 instant with its offset, as the pages write it into hidden fields; None when unreadable."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Not a date and time") from None
        if parsed.tzinfo is None:
            raise ValidationError("The time needs its offset")
        self.data = parsed


class FollowUpBookingForm(FlaskForm):
    """One click on the provider home: book the follow-up due at `due`."""

    due = AwareInstantField("Due", validators=[DataRequired()])


class TransportForm(FlaskForm):
    status = SelectField(
        "Ride status",
        choices=[
            SelectChoice(TransportStatus.MISSING, "Missing"),
            SelectChoice(TransportStatus.ARRANGED, "Arranged"),
            SelectChoice(TransportStatus.CONFIRMED, "Confirmed (day before)"),
            SelectChoice(TransportStatus.VERIFIED, "Verified (escort here)"),
        ],
    )
    mode = SelectField("How they get home", choices=[SelectChoice("", "—"), *TRANSPORT_MODE_CHOICES])
    contact_name = StringField("Driver or company", validators=[Optional(), Length(max=200)])
    contact_phone = StringField("Phone (international format)", validators=[Optional(), Length(max=20)])


class OverrideForm(FlaskForm):
    override_reason = StringField("Reason to go ahead anyway", validators=[InputRequired(), Length(max=500)])

    def _reason(self) -> str | None:
        return (self.override_reason.data or "").strip() or None

    def check_in_command(self) -> CheckIn:
        """The check-in use case's command (an override reason when one is given)."""
        return CheckIn(override_reason=self._reason())

    def discharge_command(self) -> Discharge:
        """The discharge use case's command (an override reason when one is given)."""
        return Discharge(override_reason=self._reason())


class UndoCheckInForm(FlaskForm):
    reason = StringField("Why undo the check-in", validators=[InputRequired(), Length(max=500)])

    def command(self) -> UndoCheckIn:
        return UndoCheckIn(reason=self.reason.data or "")


class DoseForm(FlaskForm):
    """The dose of a session; the protocol's rules (allowed mg, devices, lot) are checked by the use case."""

    dose_mg = DecimalField("Dose (mg)", places=1, validators=[InputRequired(), NumberRange(0.1, 10_000)])
    lot_number = StringField("Lot number", validators=[InputRequired(), Length(max=64)])
    devices = IntegerField("Devices", validators=[Optional(), NumberRange(1, 100)])
    prescriber_confirmation = StringField(
        "Prescriber who confirmed (when the blood pressure before the dose was high)",
        validators=[Optional(), Length(max=500)],
    )
    correction_reason = StringField("Why correct the recorded dose", validators=[Optional(), Length(max=500)])

    def command(self) -> RecordDose:
        def text(value: str | None) -> str | None:
            return (value or "").strip() or None

        return RecordDose(
            dose_mg=self.dose_mg.data,
            lot_number=(self.lot_number.data or "").strip(),
            devices=self.devices.data,
            prescriber_confirmation=text(self.prescriber_confirmation.data),
            correction_reason=text(self.correction_reason.data),
        )


class PatientRideForm(FlaskForm):
    mode = SelectField("How are you getting home?", choices=TRANSPORT_MODE_CHOICES)
    contact_name = StringField(
        "Driver's name (or taxi company)", validators=[InputRequired(), Length(max=200)]
    )
    contact_phone = StringField("Their phone number", validators=[InputRequired(), Length(max=20)])


ANSWER_CHOICES = [
    SelectChoice(str(n), label)
    for n, label in enumerate(
        ("0 · not at all", "1 · several days", "2 · more than half the days", "3 · nearly every day")
    )
]


class QuestionnaireForm(FlaskForm):
    """PHQ-9 or GAD-7: one select per question, named item1..itemN."""

    def answers(self, count: int) -> list[int] | None:
        values = [request.form.get(f"item{n}") for n in range(1, count + 1)]
        if any(v not in {"0", "1", "2", "3"} for v in values):
            return None
        return [int(v) for v in values]


class BloodPressureForm(FlaskForm):
    timepoint = SelectField(
        "When",
        choices=[
            SelectChoice("pre", "Before the dose"),
            SelectChoice("post40", "About 40 minutes after"),
            SelectChoice("discharge", "Before discharge"),
        ],
    )
    systolic = IntegerField("Systolic (mmHg)", validators=[InputRequired(), NumberRange(50, 300)])
    diastolic = IntegerField("Diastolic (mmHg)", validators=[InputRequired(), NumberRange(30, 200)])


class SedationForm(FlaskForm):
    moaas = IntegerField(
        "Sedation, MOAA/S (5 awake to 0 unresponsive)", validators=[InputRequired(), NumberRange(0, 5)]
    )
    cadss_total = IntegerField(
        "Dissociation, CADSS total (0 to 92)", validators=[InputRequired(), NumberRange(0, 92)]
    )


class AcknowledgeForm(FlaskForm):
    note = StringField("Note", validators=[Optional(), Length(max=500)])
