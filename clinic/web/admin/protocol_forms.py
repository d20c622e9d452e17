"""The form of a clinic protocol: its phases, timings, follow-ups and session rules as fields a clinic
manager can read, turned into the protocol's definition (which the domain then validates as a whole)."""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from clinic.domain.protocols import VITAL_SIGN_LIMITS
from clinic.domain.therapy import IntegrationRule, PreparationRule, rule_fields
from clinic.domain.visits import Modality

PHASE_ROWS = 3
_MINUTES = [Optional(), NumberRange(0, 24 * 60)]


def _numbers(text: str | None) -> list[int]:
    """ "0, 3" -> [0, 3]; ValueError on anything else."""
    return [int(part) for part in (text or "").replace(";", ",").split(",") if part.strip()]


def _numbers_field(label: str, **kwargs: Any) -> StringField:
    def check(form, field) -> None:
        try:
            _numbers(field.data)
        except ValueError:
            raise ValidationError("Whole numbers separated by commas, e.g. 0, 3") from None

    return StringField(label, validators=[Optional(), Length(max=200), check], **kwargs)


class ProtocolForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            InputRequired(),
            Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", message="Lowercase letters, digits, dashes"),
        ],
        description="How bookings name it, e.g. iv-ketamine-eight",
    )
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    based_on = SelectField("Copy of", validators=[Optional()])
    check_in_minutes = IntegerField("Check-in before the dose (minutes)", validators=_MINUTES)
    dosing_minutes = IntegerField("Dosing (minutes)", validators=_MINUTES)
    monitoring_minutes = IntegerField("Monitoring after the dose (minutes)", validators=_MINUTES)
    fasting_food_minutes = IntegerField("No food before (minutes)", validators=_MINUTES)
    fasting_liquid_minutes = IntegerField("No liquids before (minutes)", validators=_MINUTES)
    needs_ride = BooleanField("The patient needs a ride home")
    rems_required = BooleanField("REMS enrolment required")
    no_consecutive_days = BooleanField("Never on consecutive days")
    max_span_days = IntegerField("Whole series within (days)", validators=[Optional(), NumberRange(1, 730)])
    follow_ups = _numbers_field("Follow-up visits (days after the last dose)", description="e.g. 7, 28")
    check_in_opens_minutes = IntegerField("Check-in opens before the start (minutes)", validators=_MINUTES)
    dose_mg_options = _numbers_field("Allowed doses (mg)", description="Empty: any dose within the range")
    dose_mg_min = IntegerField("Lowest dose (mg)", validators=[Optional(), NumberRange(1, 10_000)])
    dose_mg_max = IntegerField("Highest dose (mg)", validators=[Optional(), NumberRange(1, 10_000)])
    mg_per_device = IntegerField(
        "mg per device (empty: not counted)", validators=[Optional(), NumberRange(1, 1000)]
    )
    discharge_max_systolic = IntegerField("Discharge: systolic at most", validators=[Optional()])
    discharge_max_diastolic = IntegerField("Discharge: diastolic at most", validators=[Optional()])
    discharge_min_moaas = IntegerField("Discharge: MOAA/S at least", validators=[Optional()])
    recheck_minutes = IntegerField("Re-check a high BP every (minutes)", validators=[Optional()])
    confirm_dose_above_systolic = IntegerField(
        "Confirm the dose above: systolic", validators=[Optional()]
    )
    confirm_dose_above_diastolic = IntegerField("… or diastolic", validators=[Optional()])
    urgent_systolic = IntegerField("Urgent alert from systolic", validators=[Optional()])
    urgent_diastolic = IntegerField("… or diastolic", validators=[Optional()])
    alert_moaas_at_or_below = IntegerField("Alert at MOAA/S at or below", validators=[Optional()])
    checks = TextAreaField(
        "Session checks, one per line: name, instrument, timepoint, when, minutes after the dose",
        validators=[Optional(), Length(max=2000)],
        description="instrument: bp, sedation or dissociation; timepoint (bp only): pre, post40 or "
        "discharge; when: before_dose, after_dose or before_discharge",
    )
    # Therapy sessions booked with the series (each section's fields are <section>_<rule field>).
    preparation = BooleanField("A preparation session before the first dose")
    preparation_min_days_before = IntegerField("At least (days before)", validators=[Optional()])
    preparation_max_days_before = IntegerField("At most (days before)", validators=[Optional()])
    preparation_duration_minutes = IntegerField("Length (minutes)", validators=[Optional()])
    preparation_modality = SelectField(
        "Held", choices=[SelectChoice(m.value, m.label) for m in Modality], validate_choice=False
    )
    integration = BooleanField("An integration session after doses")
    integration_within_days = IntegerField("Within (days after the dose)", validators=[Optional()])
    integration_every_doses = IntegerField("After every N doses", validators=[Optional()])
    integration_duration_minutes = IntegerField("Length (minutes)", validators=[Optional()])
    integration_modality = SelectField(
        "Held", choices=[SelectChoice(m.value, m.label) for m in Modality], validate_choice=False
    )


for _row in range(PHASE_ROWS):
    setattr(
        ProtocolForm,
        f"phase{_row}_doses",
        IntegerField("Doses", validators=[Optional(), NumberRange(1, 100)]),
    )
    setattr(ProtocolForm, f"phase{_row}_days", _numbers_field("Days (0 = start day)"))
    setattr(
        ProtocolForm,
        f"phase{_row}_gap",
        IntegerField("Min. days apart", validators=[Optional(), NumberRange(1, 60)]),
    )
    setattr(
        ProtocolForm,
        f"phase{_row}_every",
        IntegerField("Every N weeks", validators=[Optional(), NumberRange(1, 12)]),
    )

_TIMINGS = (
    "check_in_minutes",
    "dosing_minutes",
    "monitoring_minutes",
    "fasting_food_minutes",
    "fasting_liquid_minutes",
)
_FLAGS = ("needs_ride", "rems_required", "no_consecutive_days")
_SESSION_NUMBERS = ("check_in_opens_minutes", "dose_mg_min", "dose_mg_max", *VITAL_SIGN_LIMITS)
_THERAPY = {"preparation": PreparationRule, "integration": IntegrationRule}


def _fill_therapy(form: ProtocolForm, definition: dict[str, Any]) -> None:
    """Each therapy section: on when the definition has it, its fields from it or the rule's defaults."""
    for section, factory in _THERAPY.items():
        rule = definition.get(section)
        form[section].data = rule is not None
        for name, _, default in rule_fields(factory):
            form[f"{section}_{name}"].data = (rule or {}).get(name, default)


def _therapy_changes(form: ProtocolForm) -> dict[str, Any]:
    """Each therapy section as the definition stores it (None when off); a field left empty takes the
    rule's default, and the domain validates the numbers."""
    changes: dict[str, Any] = {}
    for section, factory in _THERAPY.items():
        if not form[section].data:
            changes[section] = None
            continue
        rule = {}
        for name, _, default in rule_fields(factory):
            value = form[f"{section}_{name}"].data
            rule[name] = default if value in (None, "") else value
        changes[section] = rule
    return changes


def fill(form: ProtocolForm, definition: dict[str, Any]) -> None:
    """Put a stored definition into the form's fields (to copy or edit it)."""
    for name in (*_TIMINGS, *_FLAGS, "max_span_days"):
        form[name].data = definition.get(name)
    form.follow_ups.data = ", ".join(str(f["days_after_last_dose"]) for f in definition.get("follow_ups", []))
    for row, phase in enumerate(definition.get("phases", [])[:PHASE_ROWS]):
        form[f"phase{row}_doses"].data = phase["doses"]
        form[f"phase{row}_days"].data = ", ".join(str(d) for d in phase["day_offsets"])
        form[f"phase{row}_gap"].data = phase["min_gap_days"]
        form[f"phase{row}_every"].data = phase.get("every_weeks", 1)
    session = definition.get("session") or {}
    for name in _SESSION_NUMBERS:
        form[name].data = session.get(name)
    form.mg_per_device.data = session.get("mg_per_device")
    form.dose_mg_options.data = ", ".join(str(mg) for mg in session.get("dose_mg_options", []))
    form.checks.data = "\n".join(
        ", ".join(
            str(v) if v is not None else ""
            for v in (
                c["name"],
                c["instrument"],
                c.get("timepoint"),
                c["when"],
                c.get("minutes_after_dose", 0),
            )
        )
        for c in session.get("checks", [])
    )
    _fill_therapy(form, definition)


def definition_changes(form: ProtocolForm, base: dict[str, Any]) -> dict[str, Any]:
    """The definition the form describes, over `base` (the protocol copied or edited)."""
    follow_minutes = {
        f["days_after_last_dose"]: f.get("duration_minutes", 30) for f in base.get("follow_ups", [])
    }
    changes: dict[str, Any] = {name: form[name].data for name in _TIMINGS if form[name].data is not None}
    changes.update({name: bool(form[name].data) for name in _FLAGS})
    changes["max_span_days"] = form.max_span_days.data
    changes["follow_ups"] = [
        {"days_after_last_dose": days, "duration_minutes": follow_minutes.get(days, 30)}
        for days in _numbers(form.follow_ups.data)
    ]
    phases = []
    for row in range(PHASE_ROWS):
        doses = form[f"phase{row}_doses"].data
        if not doses:
            continue
        days = _numbers(form[f"phase{row}_days"].data) or [0]
        phases.append(
            {
                "doses": doses,
                "per_week": len(days),
                "min_gap_days": form[f"phase{row}_gap"].data or 1,
                "day_offsets": days,
                "every_weeks": form[f"phase{row}_every"].data or 1,
            }
        )
    changes["phases"] = phases
    session = {name: form[name].data for name in _SESSION_NUMBERS if form[name].data is not None}
    session["mg_per_device"] = form.mg_per_device.data
    session["dose_mg_options"] = _numbers(form.dose_mg_options.data)
    session["checks"] = [_check(line) for line in (form.checks.data or "").splitlines() if line.strip()]
    changes["session"] = session
    changes.update(_therapy_changes(form))
    return changes


def _check(line: str) -> dict[str, Any]:
    parts = [part.strip() for part in line.split(",")]
    parts += [""] * (5 - len(parts))
    name, instrument, timepoint, when, minutes = parts[:5]
    return {
        "name": name,
        "instrument": instrument,
        "timepoint": timepoint or None,
        "when": when or "after_dose",
        "minutes_after_dose": int(minutes) if minutes.isdigit() else 0,
    }


def field_for(error_field: str) -> str | None:
    """The form field a domain error names ("phases[1].day_offsets" -> "phase1_days"), if the form has it."""
    if error_field.startswith("phases["):
        row = error_field[len("phases[") : error_field.index("]")]
        attribute = error_field.rsplit(".", 1)[-1]
        suffix = {"doses": "doses", "day_offsets": "days", "min_gap_days": "gap", "every_weeks": "every"}.get(
            attribute
        )
        return f"phase{row}_{suffix}" if suffix and row.isdigit() else None
    if error_field.startswith("session.checks"):
        return "checks"
    if error_field.split(".", 1)[0] in _THERAPY:
        name = error_field.replace(".", "_")
        return name if name in ProtocolForm.__dict__ else None
    name = error_field.removeprefix("session.")
    return name if name in ProtocolForm.__dict__ else None
