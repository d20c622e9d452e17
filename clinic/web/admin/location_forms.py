"""The admin's forms for locations (hours, closures, public holidays) and chairs."""

from functools import cache

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.domain.opening_hours import WEEKDAY_NAMES, parse_spans_text, spans_text
from clinic.domain.plausible import is_place_timezone, visit_days
from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.models.chair import CHAIR_KINDS
from clinic.services.locations import COMMON_LOCALES, holiday_countries
from clinic.web.forms import TRANSPORT_MODE_CHOICES, VISIT_DAY_MESSAGE, Within
from clinic.web.phone import to_e164

CHAIR_KIND_LABELS = {"infusion_chair": "Infusion chair", "spravato_room": "Spravato room"}
HOURS_HELP = "e.g. 08:00-12:00, 13:00-18:00 · empty: closed"


def plain_text(form: FlaskForm, field) -> None:
    """Refuses control characters (a NUL cannot be stored, a line break does not belong in a name)."""
    if field.data and any(ord(ch) < 32 for ch in field.data):
        raise ValidationError("Remove the control characters from this field")


class CheckboxesField(SelectMultipleField):
    """Several choices, one checkbox each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@cache
def timezone_choices() -> tuple[str, ...]:
    from zoneinfo import available_timezones

    return tuple(sorted(name for name in available_timezones() if is_place_timezone(name)))


def locale_label(code: str) -> str:
    return f"{Locale.parse(code).get_display_name('en')} · {code}"


@cache
def country_choices() -> tuple[SelectChoice, ...]:
    names = Locale("en").territories
    countries = sorted(holiday_countries(), key=lambda code: names.get(code, code))
    return tuple(SelectChoice(code, f"{names.get(code, code)} · {code}") for code in countries)


class LocationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200), plain_text])
    public_name = StringField(
        "Public name",
        validators=[Optional(), Length(max=200), plain_text],
        description="The name patients see in messages and calendar feeds. Keep it neutral: never name "
        "the treatment. Empty: the name above.",
    )
    address = StringField("Address", validators=[Optional(), Length(max=500), plain_text])
    phone = StringField(
        "Phone",
        validators=[Optional(), Length(max=40), plain_text],
        description="With its country code, e.g. +1 617 555 0100",
    )
    timezone = SelectField("Time zone", validators=[InputRequired()])
    locale = SelectField(
        "Locale", validators=[InputRequired()], description="How dates and numbers are written"
    )
    hours_mon = StringField(WEEKDAY_NAMES["mon"], validators=[Length(max=200)])
    hours_tue = StringField(WEEKDAY_NAMES["tue"], validators=[Length(max=200)])
    hours_wed = StringField(WEEKDAY_NAMES["wed"], validators=[Length(max=200)])
    hours_thu = StringField(WEEKDAY_NAMES["thu"], validators=[Length(max=200)])
    hours_fri = StringField(WEEKDAY_NAMES["fri"], validators=[Length(max=200)])
    hours_sat = StringField(WEEKDAY_NAMES["sat"], validators=[Length(max=200)])
    hours_sun = StringField(WEEKDAY_NAMES["sun"], validators=[Length(max=200)])
    allowed_transport_modes = CheckboxesField(
        "Rides home the location accepts", choices=TRANSPORT_MODE_CHOICES
    )

    def __init__(self, *args, current_locale: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = list(timezone_choices())
        # A locale set through the API stays on offer, so saving the page does not change it unasked.
        locales = (
            COMMON_LOCALES if current_locale in (None, *COMMON_LOCALES) else (*COMMON_LOCALES, current_locale)
        )
        self.locale.choices = [SelectChoice(code, locale_label(code)) for code in locales]
        self.hours: dict[str, list[list[str]]] = {}

    @classmethod
    def for_location(cls, location) -> "LocationForm":
        """The form filled from a stored location (a GET of its edit page)."""
        hours = {f"hours_{day}": spans_text(location.opening_hours.get(day)) for day in WEEKDAY_KEYS}
        return cls(
            formdata=None,
            current_locale=location.locale,
            name=location.name,
            public_name=location.public_name,
            address=location.address,
            phone=location.phone or "",
            timezone=location.timezone,
            locale=location.locale,
            allowed_transport_modes=list(location.allowed_transport_modes),
            **hours,
        )

    def day_fields(self):
        return [getattr(self, f"hours_{day}") for day in WEEKDAY_KEYS]

    def validate_timezone(self, field) -> None:
        if not is_place_timezone(field.data or ""):
            raise ValidationError("Choose a time zone from the list")

    def validate_phone(self, field) -> None:
        if field.data and field.data.strip():
            region = (self.locale.data or "en_US").partition("_")[2] or "US"
            normalised = to_e164(field.data, region if region.isalpha() else "US")
            if normalised is None:
                raise ValidationError(
                    "Not a phone number we can call; include the country code, e.g. +1 617 555 0100"
                )
            self.phone_e164 = normalised

    def validate_allowed_transport_modes(self, field) -> None:
        if not field.data:
            raise ValidationError("Allow at least one way home")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for day, field in zip(WEEKDAY_KEYS, self.day_fields(), strict=True):
            if field.errors:
                continue
            try:
                self.hours[day] = parse_spans_text(day, field.data or "")
            except ValueError as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        return valid

    def location_data(self) -> dict:
        """The use case's fields from a validated form."""
        return {
            "name": self.name.data.strip(),
            "public_name": (self.public_name.data or "").strip(),
            "address": (self.address.data or "").strip(),
            "phone": getattr(self, "phone_e164", None) if (self.phone.data or "").strip() else None,
            "timezone": self.timezone.data,
            "locale": self.locale.data,
            "opening_hours": {day: spans for day, spans in self.hours.items() if spans},
            "allowed_transport_modes": [
                choice.value
                for choice in TRANSPORT_MODE_CHOICES
                if choice.value in self.allowed_transport_modes.data
            ],
        }


class ClosureForm(FlaskForm):
    date = DateField("Date", validators=[InputRequired(), Within(visit_days, VISIT_DAY_MESSAGE)])
    reason = StringField("Reason", validators=[Optional(), Length(max=200), plain_text])


class HolidaysForm(FlaskForm):
    country = SelectField("Country", validators=[InputRequired()])
    subdivision = StringField(
        "Subdivision (optional)",
        validators=[Optional(), Length(max=10), plain_text],
        description="A state or region code, e.g. MA",
    )
    years = StringField(
        "Years", validators=[InputRequired(), Length(max=40)], description="One or more, e.g. 2027, 2028"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = list(country_choices())

    def validate_years(self, field) -> None:
        parts = (field.data or "").replace(",", " ").split()
        if not parts or not all(part.isdigit() and len(part) == 4 for part in parts):
            raise ValidationError("Write four-digit years separated by commas, e.g. 2027, 2028")
        self.year_list = sorted({int(part) for part in parts})


class ChairForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100), plain_text])
    location_id = SelectField("Location", coerce=int, validators=[InputRequired()])
    kind = SelectField(
        "Kind", choices=[SelectChoice(kind, CHAIR_KIND_LABELS.get(kind, kind)) for kind in CHAIR_KINDS]
    )

    def set_locations(self, locations) -> None:
        self.location_id.choices = [SelectChoice(location.id, location.name) for location in locations]

    def chair_data(self) -> dict:
        return {"name": self.name.data.strip(), "location_id": self.location_id.data, "kind": self.kind.data}


class ChairEditForm(ChairForm):
    active = BooleanField("Active (can be booked)")

    def chair_data(self) -> dict:
        return {**super().chair_data(), "active": self.active.data}
