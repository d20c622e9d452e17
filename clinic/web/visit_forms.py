"""Forms of the single-visit booking page and the series page."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic.domain.plausible import visit_days
from clinic.domain.visits import JOIN_URL_LENGTH, Modality
from clinic.web.forms import TRANSPORT_MODE_CHOICES, VISIT_DAY_MESSAGE, Within

VISIT_KIND_CHOICES = [
    SelectChoice("consult", "Consultation"),
    SelectChoice("follow_up", "Follow-up"),
    SelectChoice("preparation", "Preparation session"),
    SelectChoice("integration", "Integration session"),
    SelectChoice("dose", "Single dose (booster)"),
]


class VisitForm(FlaskForm):
    """One visit of any kind; the choices of places, people and protocols are filled by the view."""

    patient_id = IntegerField("Patient", validators=[InputRequired(message="Choose a patient")])
    kind = SelectField("Visit", choices=VISIT_KIND_CHOICES)
    location_id = SelectField("Location", coerce=int, validators=[InputRequired()])
    provider_id = SelectField("Provider", coerce=int, validators=[InputRequired()])
    start_date = DateField("On", validators=[InputRequired(), Within(visit_days, VISIT_DAY_MESSAGE)])
    start_time = TimeField("At (local time)", validators=[InputRequired()])
    duration_minutes = IntegerField(
        "Length in minutes (not for doses)", validators=[Optional(), NumberRange(5, 480)]
    )
    protocol = SelectField("Protocol of the dose", validators=[Optional()])
    chair_id = SelectField("Chair or room (doses; empty: any free one)", validators=[Optional()])
    rems_override_reason = StringField("REMS override reason", validators=[Optional(), Length(max=500)])
    # left out means in person; a word outside the vocabulary is the use case's 422 naming the field
    modality = SelectField(
        "Where", choices=[SelectChoice(m.value, m.label) for m in Modality], validate_choice=False
    )
    join_url = StringField("Join link (virtual visits)", validators=[Optional(), Length(max=JOIN_URL_LENGTH)])


class SeriesRideForm(FlaskForm):
    """A series' default ride: every future dose without a ride of its own gets it."""

    mode = SelectField(
        "How they get home", choices=[SelectChoice("", "No default ride"), *TRANSPORT_MODE_CHOICES]
    )
    contact_name = StringField("Driver or company", validators=[Optional(), Length(max=200)])
    contact_phone = StringField("Their phone", validators=[Optional(), Length(max=30)])


class SeriesCancelForm(FlaskForm):
    reason = StringField("Why cancel the rest of the series", validators=[InputRequired(), Length(max=500)])


class ReplanForm(FlaskForm):
    start_date = DateField(
        "Restart on (empty: the earliest day the rules allow)",
        validators=[Optional(), Within(visit_days, VISIT_DAY_MESSAGE)],
    )
    start_time = TimeField("At (empty: the series' usual time)", validators=[Optional()])
