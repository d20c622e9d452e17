"""Today: the day grid of 15-minute rows, its filters, a provider's own day, and a day that cannot be read."""

import re

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from tests.factories import make_infusion_day
from tests.web.test_login import _sign_in

# Time ranges as an en_US clinic reads them (CLDR's thin spaces around the dash, a narrow space before AM/PM).
INFUSION = "10:00\u2009–\u200911:55\u202fAM"
CONSULT = "2:00\u2009–\u20092:30\u202fPM"


DAY = "2027-03-08"  # a Monday; the location (New York) opens 08:00-18:00, so the grid's first row is 08:00


@pytest.fixture
def day(app, clock):
    """An IV infusion 10:00-11:55 with the clinic's provider and, with a second provider, a 30-minute
    consult at 14:00 for another patient (no chair)."""
    with app.app_context():
        return make_infusion_day(clock.now)


def _visit(html: str, appointment_id: int) -> str:
    """The opening tag of a visit's block on the grid."""
    match = re.search(rf'<a class="([^"]*)" href="/appointments/{appointment_id}"', html)
    assert match, f"visit {appointment_id} is not on the page"
    return match.group(1)


def _today(client, day, **args) -> str:
    page = client.get("/today/", query_string={"location_id": day["location_id"], "date": DAY, **args})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_visit_covers_every_quarter_hour_it_holds_its_chair(client, day):
    _sign_in(client)
    html = _today(client, day)
    classes = _visit(html, day["infusion"]).split()
    # 10:00 is the ninth quarter hour after 08:00 (grid row 10, under the header row); 10:00-11:55 covers
    # eight quarters up to 12:00, so 11:00 and 11:45 show the chair taken.
    assert "row-start-10" in classes and "row-span-8" in classes
    assert INFUSION in html and "Ines Alvarez" in html
    assert "New York time" in html  # the times are the location's, and the page says so


def test_every_chair_and_each_providers_other_visits_have_a_column(client, day):
    _sign_in(client)
    html = _today(client, day)
    lanes = re.findall(r'data-testid="lane">\s*<strong>([^<]+)</strong>', html)
    assert lanes == ["Infusion 1", "Infusion 2", "Room 1", "Room 2", "Dr Okafor"]
    infusion_column = re.search(r"col-start-(\d+)", _visit(html, day["infusion"])).group(1)
    consult = _visit(html, day["consult"]).split()
    assert infusion_column == "2" and "col-start-6" in consult
    assert "row-start-26" in consult and "row-span-2" in consult  # 14:00-14:30


def test_filters_by_provider_and_by_kind(client, day):
    _sign_in(client)
    by_provider = _today(client, day, provider_id=day["other_provider_id"])
    assert "Noor Haddad" in by_provider and "Ines Alvarez" not in by_provider
    by_kind = _today(client, day, kind="dose")
    assert "Ines Alvarez" in by_kind and "Noor Haddad" not in by_kind
    nothing = _today(client, day, kind="integration")
    assert "No visits on this day with these filters." in nothing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "garbage", "Enter the day as YYYY-MM-DD"),
        ("date", "2027-02-30", "Enter the day as YYYY-MM-DD"),
        ("provider_id", "999999", "Choose a provider from the list."),
        ("provider_id", "abc", "Choose a provider from the list."),
        ("kind", "surgery", "Choose a kind of visit from the list."),
    ],
)
def test_a_filter_that_cannot_be_read_answers_400_naming_it(client, day, field, value, message):
    _sign_in(client)
    page = client.get("/today/", query_string={"location_id": day["location_id"], field: value})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert 'data-testid="day-grid"' not in html  # not silently another day


def test_a_provider_sees_their_own_day_first_then_every_chair_without_other_patients_names(app, client, day):
    _sign_in(client, email="doc@example.com")
    own = _today(client, day)
    assert "Ines Alvarez" in own and CONSULT not in own
    assert re.search(r'name="mine" value="1"\s+checked', own)

    everyone = _today(client, day, mine="0")
    assert "Ines Alvarez" in everyone
    assert "Noor Haddad" not in everyone and CONSULT in everyone and "Booked" in everyone
    assert f'href="/appointments/{day["consult"]}"' not in everyone
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "patient.read", AuditEvent.actor_label == "doc@example.com"
            )
        ).all()
    assert str(day["patient_id"]) in reads and str(day["other_patient_id"]) not in reads


def test_the_front_desk_has_no_only_mine_toggle(client, day):
    _sign_in(client)
    html = _today(client, day, mine="1")
    assert 'name="mine"' not in html and "Noor Haddad" in html


def test_the_day_links_keep_the_filters(client, day):
    _sign_in(client)
    html = _today(client, day, kind="dose")
    assert "date=2027-03-09" in html and "kind=dose" in html
    assert re.search(r'href="/week/\?[^"]*kind=dose', html)
