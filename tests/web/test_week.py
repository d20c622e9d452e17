"""Week: Monday to Sunday of a location, by chair or by provider, with Today's filters and access rule."""

import re

from clinic.extensions import db
from clinic.models.appointment import Appointment
from tests.web.test_login import _sign_in
from tests.web.test_today import day  # noqa: F401  (the fixture: an infusion series and another's consult)

# Time ranges as an en_US clinic reads them (CLDR's thin spaces around the dash, a narrow space before AM/PM).
INFUSION = "10:00\u2009–\u200911:55\u202fAM"
CONSULT = "2:00\u2009–\u20092:30\u202fPM"



def _week(client, day, status=200, **args) -> str:  # noqa: F811
    page = client.get("/week/", query_string={"location_id": day["location_id"], **args})
    assert page.status_code == status
    return page.get_data(as_text=True)


def _starts(app, ids) -> dict[int, str]:
    with app.app_context():
        return {i: db.session.get(Appointment, i).local_start.date().isoformat() for i in ids}


def test_the_week_by_chair_lists_the_visits_of_monday_to_sunday(app, client, day):  # noqa: F811
    starts = _starts(app, day["series"])
    _sign_in(client)
    html = _week(client, day, date="2027-03-10")  # a Wednesday: the week of Monday 8 March
    assert "week of Monday, March 8, 2027" in html
    headers = re.findall(r"<th scope=\"col\"><a [^>]*>([^<]+)</a>", html)
    assert headers == [
        "Mon, Mar 8",
        "Tue, Mar 9",
        "Wed, Mar 10",
        "Thu, Mar 11",
        "Fri, Mar 12",
        "Sat, Mar 13",
        "Sun, Mar 14",
    ]
    for visit_id, start in starts.items():
        shown = f'href="/appointments/{visit_id}"' in html
        assert shown == ("2027-03-08" <= start <= "2027-03-14"), (visit_id, start)
    assert f'href="/appointments/{day["consult"]}"' in html
    rows = re.findall(r'data-testid="week-row">\s*<th scope="row">([^<]+)<', html)
    assert rows == ["Infusion 1", "Infusion 2", "Room 1", "Room 2", "Other visits"]
    assert INFUSION in html and CONSULT in html


def test_the_week_by_provider_and_the_next_week(app, client, day):  # noqa: F811
    _sign_in(client)
    html = _week(client, day, date="2027-03-08", by="provider")
    rows = re.findall(r'data-testid="week-row">\s*<th scope="row">([^<]+)<', html)
    assert "Dr Okafor" in rows and len(rows) == 2
    assert re.search(r'href="/week/\?[^"]*date=2027-03-15', html)  # next week keeps the view
    later = _week(client, day, date="2027-03-15", by="provider")
    assert "week of Monday, March 15, 2027" in later and "Noor Haddad" not in later


def test_a_provider_sees_names_only_of_their_patients(client, day):  # noqa: F811
    _sign_in(client, email="doc@example.com")
    own = _week(client, day, date="2027-03-08")
    assert "Ines Alvarez" in own and CONSULT not in own
    everyone = _week(client, day, date="2027-03-08", mine="0")
    assert CONSULT in everyone and "Noor Haddad" not in everyone
    assert f'href="/appointments/{day["consult"]}"' not in everyone


def test_a_week_that_cannot_be_read_answers_400(client, day):  # noqa: F811
    _sign_in(client)
    assert "Enter the day as YYYY-MM-DD" in _week(client, day, 400, date="next tuesday")
    assert "Show the week by chair or by provider." in _week(client, day, 400, by="patient")
