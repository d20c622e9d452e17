"""Every staff page, the sign-in page and the patient's ride page, on a phone (390x844), a tablet
(768x1024) and a desk (1366x900): axe-core (vendored under tests/browser/vendor, injected by the test, never
served by the app) finds no serious or critical violation, and the page never scrolls sideways.

The pages show the demo clinic seeded at a frozen weekday morning (a visit in every floor phase, REMS forms
due, a ride at risk, reminders in the outbox), so each page has real rows, forms and badges to check. One app,
one live server and one browser context per role serve every case; the layout does not depend on the
database, so this runs on SQLite only.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.clock import set_clock
from clinic.domain.floor import FloorPhase
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.series import Series
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.demo import DEMO_LOGINS, demo_location, seed_demo
from clinic.services.floor import floor_board
from clinic.services.questionnaires import questionnaire_link
from clinic.services.rems_forms import open_forms_page
from clinic.services.ride_links import ride_link
from clinic.services.transport import AT_RISK_WINDOW, rides_at_risk_for
from config import TestingConfig
from tests.browser.conftest import LiveServer
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# Tuesday 09:47 in New York: the demo clinic is busy there.
NOW = datetime(2027, 3, 2, 14, 47, tzinfo=UTC)
SIZES = {"phone": (390, 844), "tablet": (768, 1024), "desk": (1366, 900)}
BLOCKING_IMPACTS = ("serious", "critical")
SEEDER = Actor(user=None, label="cli", trusted=True)


@dataclass(frozen=True)
class Visit:
    """A page to check: who opens it and its path (``{name}`` is filled from the seeded ids)."""

    role: str  # admin, frontdesk, provider, or anonymous (not signed in)
    name: str
    path: str


PAGES = (
    Visit("anonymous", "login", "/login"),
    Visit("anonymous", "patient-ride", "{ride_path}"),
    Visit("anonymous", "patient-questionnaire", "{questionnaire_path}"),
    Visit("frontdesk", "home", "/"),
    Visit("frontdesk", "today", "/today/"),
    Visit("frontdesk", "week", "/week/"),
    Visit("frontdesk", "week-by-provider", "/week/?by=provider"),
    Visit("frontdesk", "floor", "/floor/"),
    Visit("frontdesk", "book-series", "/book/"),
    Visit("frontdesk", "book-visit", "/book/visit"),
    Visit("frontdesk", "patients", "/patients/"),
    Visit("frontdesk", "patient-new", "/patients/new"),
    Visit("frontdesk", "patient", "/patients/{patient}"),
    Visit("frontdesk", "patient-edit", "/patients/{patient}/edit"),
    Visit("frontdesk", "series", "/series/{series}"),
    Visit("frontdesk", "appointment", "/appointments/{appointment}"),
    Visit("frontdesk", "at-risk-rides", "/rides/at-risk"),
    Visit("frontdesk", "outbox", "/outbox/"),
    Visit("frontdesk", "messages", "/messages/"),
    Visit("frontdesk", "not-found", "/patients/999999"),
    Visit("provider", "provider-home", "/provider"),
    Visit("provider", "provider-overdue", "/provider/overdue"),
    Visit("provider", "provider-rems-forms", "/provider/rems-forms"),
    Visit("provider", "today", "/today/"),
    Visit("provider", "floor", "/floor/"),
    Visit("provider", "patients", "/patients/"),
    Visit("provider", "patient", "/patients/{patient}"),
    Visit("provider", "timeline", "/patients/{patient}/timeline"),
    Visit("provider", "appointment", "/appointments/{appointment}"),
    Visit("provider", "rems-form", "/appointments/{rems_appointment}/rems-form"),
    Visit("provider", "my-calendar", "/me/feed"),
    Visit("admin", "home", "/"),
    Visit("admin", "setup", "/admin/"),
    Visit("admin", "locations", "/admin/locations/"),
    Visit("admin", "location-new", "/admin/locations/new"),
    Visit("admin", "location", "/admin/locations/{location}"),
    Visit("admin", "chairs", "/admin/chairs/"),
    Visit("admin", "chair-new", "/admin/chairs/new"),
    Visit("admin", "chair", "/admin/chairs/{chair}"),
    Visit("admin", "providers", "/admin/providers/"),
    Visit("admin", "provider-new", "/admin/providers/new"),
    Visit("admin", "provider", "/admin/providers/{provider}"),
    Visit("admin", "users", "/admin/users/"),
    Visit("admin", "user-new", "/admin/users/new"),
    Visit("admin", "user", "/admin/users/{user}"),
    Visit("admin", "protocols", "/admin/protocols/"),
    Visit("admin", "protocol-new", "/admin/protocols/new"),
    Visit("admin", "protocol", "/admin/protocols/spravato-induction"),
)
EXPECTED_STATUS = {"not-found": 404}


def _cases() -> list:
    cases = []
    for visit in PAGES:
        for size_name, size in SIZES.items():
            case_id = f"{visit.role}-{visit.name}-{size_name}-{size[0]}x{size[1]}"
            cases.append(pytest.param(visit, size, id=case_id))
    return cases


@dataclass
class Site:
    url: str
    ids: dict[str, object]


def _seeded_ids(clock: FrozenClock) -> dict[str, object]:
    """The records the pages open: the prescriber's mid-induction patient, a visit on the floor now, a
    session with its REMS form due, and the ride link of the visit whose ride is missing."""
    seed_demo(SEEDER, clock.now)
    db.session.commit()
    location = demo_location()
    desk = Actor(user=db.session.scalar(select(User).where(User.email == "frontdesk@demo.clinic")))
    doctor = Actor(user=db.session.scalar(select(User).where(User.email == "provider@demo.clinic")))
    patient = db.session.scalar(select(Patient).where(Patient.first_name == "Avery"))
    series = db.session.scalar(select(Series).where(Series.patient_id == patient.id).order_by(Series.id))
    board = floor_board(location, desk, clock.now)
    on_floor = next(c.visit for c in board.chairs if c.visit and c.visit.phase is FloorPhase.MONITORING)
    rems = open_forms_page(doctor, clock.now, limit=1).entries[0]
    at_risk = rides_at_risk_for(desk, clock.now, AT_RISK_WINDOW)[0]
    ids = {
        "location": location.id,
        "patient": patient.id,
        "series": series.id,
        "appointment": on_floor.appointment_id,
        "rems_appointment": rems.appointment_id,
        "ride_path": urlsplit(ride_link(db.session.get(Appointment, at_risk.id), clock.now)).path,
        "questionnaire_path": urlsplit(
            questionnaire_link(db.session.get(Appointment, at_risk.id), clock.now)
        ).path,
        "chair": db.session.scalar(select(Chair.id).order_by(Chair.id)),
        "provider": db.session.scalar(select(Provider.id).order_by(Provider.id)),
        "user": db.session.scalar(select(User.id).where(User.email == "frontdesk@demo.clinic")),
    }
    db.session.commit()
    return ids


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("accessibility")
    database = directory / "clinic.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}", INSTANCE_PATH=str(directory / "i")
    )
    clock = FrozenClock(NOW)
    set_clock(app, clock)
    with app.app_context():
        ids = _seeded_ids(clock)
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield Site(server.url, ids)
    server.stop()
    with app.app_context():
        db.engine.dispose()


class Browser:
    """One signed-in browser context per role, opened when first needed and reused for every page."""

    def __init__(self, chromium, site: Site) -> None:
        self.chromium = chromium
        self.site = site
        self.pages: dict[str, object] = {}
        self.csp_violations: list[str] = []

    def page_for(self, role: str):
        if role not in self.pages:
            self.pages[role] = self._open(role)
        return self.pages[role]

    def _open(self, role: str):
        # Reduced motion: Pico then drops its colour transitions, so axe never measures a button's contrast
        # halfway through one (a hover or focus fading in reads as a failing colour).
        context = self.chromium.new_context(base_url=self.site.url, reduced_motion="reduce")
        context.route(  # nothing leaves this machine
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(self.site.url)
                else route.abort("blockedbyclient")
            ),
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda message: (
                self.csp_violations.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None
            ),
        )
        if role != "anonymous":
            login = next(login for login in DEMO_LOGINS if login.role == role)
            page.goto("/login")
            page.get_by_label("E-mail").fill(login.email)
            page.get_by_label("Password").fill(login.password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def browser(chromium, site: Site) -> Iterator[Browser]:
    opened = Browser(chromium, site)
    yield opened
    opened.close()


def serious_violations(page) -> list[str]:
    """axe's serious and critical findings on the page, one line per element: rule, impact, selector."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the DevTools protocol, not a <script> element: the page's CSP still holds.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}: {v['help']}) at {target}"
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
        for target in v["targets"]
    ]


@pytest.mark.parametrize(("visit", "size"), _cases())
def test_page_is_accessible_and_fits_the_screen(browser: Browser, site: Site, visit: Visit, size):
    page = browser.page_for(visit.role)
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    browser.csp_violations.clear()
    path = visit.path.format(**site.ids)

    response = page.goto(path)

    assert response is not None and response.status == EXPECTED_STATUS.get(visit.name, 200), path
    assert "/login" not in page.url or visit.name == "login", f"{path} sent {visit.role} to sign in"
    findings = serious_violations(page)
    assert findings == [], f"{path} at {width}x{height}:\n" + "\n".join(findings)
    page_width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert page_width <= viewport, f"{path} at {width}x{height} is {page_width} px wide: it scrolls sideways"
    menus = page.locator("nav:not([aria-label=breadcrumb])").count()
    assert menus <= 1, f"{path} has {menus} navigation menus"
    assert browser.csp_violations == [], f"{path} broke its Content-Security-Policy"


@pytest.mark.parametrize("size", [SIZES["phone"], SIZES["tablet"]], ids=["phone", "tablet"])
def test_the_menu_folds_behind_a_button_on_narrow_screens(browser: Browser, site: Site, size):
    page = browser.page_for("frontdesk")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/patients/{site.ids['patient']}/edit")
    menu = page.get_by_role("navigation", name="Main")
    button = page.get_by_role("button", name="Menu")
    patients = menu.get_by_role("link", name="Patients", include_hidden=True)

    assert button.is_visible() and not patients.is_visible()
    assert patients.get_attribute("aria-current") == "true"  # the patients' section, not that very page
    button.click()
    assert patients.is_visible() and page.get_by_role("button", name="Sign out").is_visible()
    page.keyboard.press("Escape")
    assert not patients.is_visible()
    button.click()
    menu.get_by_role("link", name="Floor").click()
    page.wait_for_url("**/floor/")
    assert menu.get_by_role("link", name="Floor", include_hidden=True).get_attribute("aria-current") == "page"
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


def test_the_menu_is_a_row_of_links_on_a_desk_with_a_favicon(browser: Browser):
    page = browser.page_for("frontdesk")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/outbox/")

    assert not page.get_by_role("button", name="Menu").is_visible()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    names = [name.strip() for name in links.all_inner_texts()]
    assert names == [
        "clinic",
        *("Home", "Today", "Week", "Floor", "Book a series", "Book a visit", "Patients", "At-risk rides"),
        "Outbox",
        "Messages",
    ]
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(1, links.count()))}
    assert len(tops) == 1, "the links sit in one row"
    assert page.get_by_role("link", name="Outbox").get_attribute("aria-current") == "page"
    assert page.get_by_test_id("signed-in-user").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()

    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.startswith("/static/")  # served from this origin: the CSP allows nothing else
    answer = page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")

