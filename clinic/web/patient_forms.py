"""The patient record's forms: registration (with the duplicate confirmation) and editing, and sending the
ride link again. Phone numbers are read in the clinic's region and stored in E.164."""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional

from clinic.domain.plausible import birth_dates, rems_enrolment_dates
from clinic.models.patient import Patient
from clinic.services.patients import CONTACT_NAME_MAX_LENGTH, NAME_MAX_LENGTH, NOTES_MAX_LENGTH
from clinic.web.forms import TRANSPORT_MODE_CHOICES, Within
from clinic.web.phone import display_phone, to_e164

PHONE_FIELDS = ("phone", "emergency_contact_phone", "ride_contact_phone")
PHONE_ERROR = "Not a phone number we can call, e.g. 617 555 0100 or +44 20 7946 0958"
# The service names a field as the API does; the form's own field for each, where the names differ.
SERVICE_FIELDS = {
    "default_ride.mode": "ride_mode",
    "default_ride.contact_name": "ride_contact_name",
    "default_ride.contact_phone": "ride_contact_phone",
}
CHANNEL_LABELS = {"email": "E-mail", "sms": "Text message"}


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


class PatientForm(FlaskForm):
    first_name = StringField(
        "First name", validators=[InputRequired("Give the first name"), Length(max=NAME_MAX_LENGTH)]
    )
    last_name = StringField(
        "Last name", validators=[InputRequired("Give the last name"), Length(max=NAME_MAX_LENGTH)]
    )
    date_of_birth = DateField(
        "Date of birth",
        validators=[
            InputRequired("Give the date of birth"),
            Within(birth_dates, "A date of birth is between {earliest} and today"),
        ],
    )
    email = EmailField("E-mail", validators=[Optional(), Email("Not an e-mail address"), Length(max=254)])
    phone = TelField("Mobile phone", validators=[Optional(), Length(max=30)])
    email_reminders = BooleanField("E-mail reminders")
    sms_reminders = BooleanField("Text message reminders")
    reminder_consent = BooleanField("Consent to reminders")
    calendar_alarms = BooleanField(
        "Alarms in the calendar feed (at the fasting cut-off and 30 minutes before pickup)"
    )
    rems_enrolled_on = DateField(
        "REMS enrolment date",
        validators=[
            Optional(),
            Within(
                rems_enrolment_dates, "A REMS enrolment is between {earliest} (when the REMS began) and today"
            ),
        ],
    )
    emergency_contact_name = StringField(
        "Emergency contact name", validators=[Optional(), Length(max=CONTACT_NAME_MAX_LENGTH)]
    )
    emergency_contact_phone = TelField("Emergency contact phone", validators=[Optional(), Length(max=30)])
    ride_mode = SelectField(
        "How they usually get home", choices=[SelectChoice("", "No usual ride"), *TRANSPORT_MODE_CHOICES]
    )
    ride_contact_name = StringField(
        "Driver or company", validators=[Optional(), Length(max=CONTACT_NAME_MAX_LENGTH)]
    )
    ride_contact_phone = TelField("Driver's phone", validators=[Optional(), Length(max=30)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=NOTES_MAX_LENGTH)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Messages about a group of fields (the reminder channels), shown under the group.
        self.group_errors: dict[str, list[str]] = {}

    @classmethod
    def initial(cls, patient: Patient) -> dict[str, Any]:
        """The form's values for an existing record, phone numbers written the way people read them."""
        ride = patient.default_ride or {}
        return {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth,
            "email": patient.email,
            "phone": display_phone(patient.phone),
            "email_reminders": "email" in patient.reminder_channels,
            "sms_reminders": "sms" in patient.reminder_channels,
            "reminder_consent": patient.reminder_consent,
            "calendar_alarms": patient.calendar_alarms,
            "rems_enrolled_on": patient.rems_enrolled_on,
            "emergency_contact_name": patient.emergency_contact_name,
            "emergency_contact_phone": display_phone(patient.emergency_contact_phone),
            "ride_mode": ride.get("mode") or "",
            "ride_contact_name": ride.get("contact_name"),
            "ride_contact_phone": display_phone(ride.get("contact_phone")),
            "notes": patient.notes,
        }

    def phones(self, region: str) -> dict[str, str | None] | None:
        """The phone fields in E.164 (a number without its country code read in `region`), or None after
        naming each number that cannot be read next to its field."""
        parsed: dict[str, str | None] = {}
        for name in PHONE_FIELDS:
            field = self[name]
            number = to_e164(field.data, region)
            if _text(field.data) and number is None and not field.errors:
                field.errors = [*field.errors, PHONE_ERROR]
            parsed[name] = number
        return None if any(self[name].errors for name in PHONE_FIELDS) else parsed

    def patient_data(self, phones: dict[str, str | None]) -> dict[str, Any]:
        """The record as the patient use cases take it."""
        channels = [c for c, f in (("email", self.email_reminders), ("sms", self.sms_reminders)) if f.data]
        return {
            "first_name": (self.first_name.data or "").strip(),
            "last_name": (self.last_name.data or "").strip(),
            "date_of_birth": self.date_of_birth.data,
            "email": _text(self.email.data),
            "phone": phones["phone"],
            "reminder_channels": channels,
            "reminder_consent": bool(self.reminder_consent.data),
            "calendar_alarms": bool(self.calendar_alarms.data),
            "rems_enrolled_on": self.rems_enrolled_on.data,
            "emergency_contact_name": _text(self.emergency_contact_name.data),
            "emergency_contact_phone": phones["emergency_contact_phone"],
            "default_ride": {
                "mode": self.ride_mode.data or None,
                "contact_name": _text(self.ride_contact_name.data),
                "contact_phone": phones["ride_contact_phone"],
            },
            "notes": self.notes.data or "",
        }

    def show_service_errors(self, errors: dict[str, list[str]] | None) -> None:
        """Put the use case's field messages next to the form's fields."""
        for name, messages in (errors or {}).items():
            target = SERVICE_FIELDS.get(name, name)
            if target in self and target != "csrf_token":
                self[target].errors = [*self[target].errors, *messages]
            else:
                self.group_errors.setdefault(name, []).extend(messages)


class NewPatientForm(PatientForm):
    different_person = BooleanField("This is a different person")


class RideLinkForm(FlaskForm):
    """Which of the patient's channels the ride link goes out on (the button pressed names it)."""

    channel = SelectField("Send by", choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()])
