"""Forms of the admin's pages for providers (details, weekly availability, time off) and staff accounts."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, NumberRange, ValidationError

from clinic.domain.plausible import visit_days
from clinic.domain.policy import Role
from clinic.models.provider import PROVIDER_ROLES
from clinic.services.errors import Invalid, ServiceError
from clinic.services.users import check_password
from clinic.web.forms import VISIT_DAY_MESSAGE, Within

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ROLE_NAMES = {Role.ADMIN: "Admin", Role.FRONTDESK: "Front desk", Role.PROVIDER: "Provider"}
NO_PROVIDER = ""


def _optional_id(value: object) -> int | None:
    """A select's value: "" (nothing chosen) is None, anything else must be a whole number."""
    if value in (None, NO_PROVIDER):
        return None
    return int(value)  # type: ignore[call-overload]


class ProviderForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in PROVIDER_ROLES])
    email = EmailField("E-mail", validators=[InputRequired(), Email(), Length(max=254)])
    max_concurrent = IntegerField(
        "Concurrent dosing visits",
        default=1,
        validators=[InputRequired(), NumberRange(1, 20, message="Give a number from 1 to 20")],
        description="How many dosing visits the provider may supervise at the same time",
    )

    def provider_data(self) -> dict:
        return {
            "name": (self.name.data or "").strip(),
            "role": self.role.data,
            "email": self.email.data or "",
            "max_concurrent": self.max_concurrent.data,
        }


class ProviderEditForm(ProviderForm):
    active = BooleanField("Active (can be booked)")

    def provider_data(self) -> dict:
        return {**super().provider_data(), "active": self.active.data}


class AvailabilityForm(FlaskForm):
    """One weekly window; `location_id` choices are set by the view."""

    weekday = SelectField(
        "Weekday", coerce=int, choices=[SelectChoice(n, name) for n, name in enumerate(WEEKDAY_NAMES)]
    )
    start_time = TimeField("From", validators=[InputRequired(message="Give a time, e.g. 08:00")])
    end_time = TimeField("To", validators=[InputRequired(message="Give a time, e.g. 12:00")])
    location_id = SelectField("Location", coerce=int, validators=[InputRequired()])

    def window(self) -> dict:
        return {
            "weekday": self.weekday.data,
            "start": self.start_time.data,
            "end": self.end_time.data,
            "location_id": self.location_id.data,
        }


class TimeOffForm(FlaskForm):
    """Time off in the local time of a location the admin picks (its choices are set by the view)."""

    time_off_start = DateTimeLocalField(
        "From",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Give a date and time"), Within(visit_days, VISIT_DAY_MESSAGE)],
    )
    time_off_end = DateTimeLocalField(
        "To",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Give a date and time"), Within(visit_days, VISIT_DAY_MESSAGE)],
    )
    time_off_location_id = SelectField("Times are local to", coerce=int, validators=[InputRequired()])
    reason = StringField("Reason", validators=[InputRequired(), Length(max=200)])


ROLE_CHOICES = [SelectChoice(role, ROLE_NAMES[role]) for role in (Role.FRONTDESK, Role.PROVIDER, Role.ADMIN)]


class AccountRoleForm(FlaskForm):
    """Role and linked provider; `provider_id` choices (a "none" entry first) are set by the view."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    provider_id = SelectField(
        "Linked provider",
        coerce=_optional_id,
        description="Required for the provider role: the provider this account signs in as",
    )

    def validate_provider_id(self, field: SelectField) -> None:
        if self.role.data == Role.PROVIDER and field.data is None:
            raise ValidationError("Choose the provider this account signs in as")
        if self.role.data != Role.PROVIDER and field.data is not None:
            raise ValidationError("Only provider accounts link to a provider; choose none")


class UserCreateForm(AccountRoleForm):
    email = EmailField("E-mail", validators=[InputRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=1024)],
        description="At least 12 characters and hard to guess: a few uncommon words together work well",
    )

    def validate_password(self, field: PasswordField) -> None:
        """The password policy's verdict next to the field, with the other fields' errors (the use case
        checks it again)."""
        try:
            check_password(field.data or "", self.email.data or "")
        except Invalid as refused:
            raise ValidationError((refused.errors or {}).get("password", [refused.detail])[0]) from None


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), Length(max=1024)],
        description="At least 12 characters and hard to guess; the account's sessions end",
    )
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The two passwords differ")],
    )


def show_service_error(form: FlaskForm, error: ServiceError, renamed: dict[str, str] | None = None) -> None:
    """Put a refused request's field errors next to the form's fields (a service field may have another
    name in the form, `renamed`); what no field shows is flashed."""
    unplaced = []
    for name, messages in (error.errors or {}).items():
        field = form._fields.get((renamed or {}).get(name, name))
        if field is None:
            unplaced += messages
        else:
            field.errors = [*field.errors, *messages]
    if unplaced or not error.errors:
        flash(" ".join(unplaced) or error.detail, "error")
