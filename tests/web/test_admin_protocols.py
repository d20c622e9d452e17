"""The admin's protocol pages: copy a built-in protocol, change the copy, and see the domain's refusals next
to the fields."""

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.protocol import Protocol
from tests.factories import make_user
from tests.web.test_login import _sign_in


@pytest.fixture
def admin(app):
    with app.app_context():
        make_user("admin", email="admin@example.com")
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    browser = app.test_client()
    assert _sign_in(browser, email="admin@example.com").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    return browser


def _copy_form(admin, based_on="iv-ketamine-induction"):
    """The fields of the copy form as the page fills them."""
    import re

    html = admin.get(f"/admin/protocols/new?based_on={based_on}").get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z0-9_]+)"[^>]*value="([^"]*)"', html))
    fields.update(dict(re.findall(r'id="([a-z0-9_]+)" name="\1"[^>]*value="([^"]*)"', html)))
    checks = re.search(r'<textarea[^>]*name="checks"[^>]*>\s*([^<]*)</textarea>', html)
    fields["checks"] = checks.group(1).strip() if checks else ""
    for flag in ("needs_ride", "no_consecutive_days"):
        fields[flag] = "y"
    fields["based_on"] = based_on
    return fields


def test_an_admin_copies_a_protocol_and_changes_its_phases_and_monitoring(app, admin):
    page = admin.get("/admin/protocols/")
    assert page.status_code == 200 and "Spravato induction" in page.get_data(as_text=True)
    form = _copy_form(admin)
    assert form["phase0_doses"] == "6" and form["monitoring_minutes"] == "60"
    assert form["checks"].startswith("bp_pre, bp, pre, before_dose")
    form.update(
        code="iv-ketamine-eight", name="IV ketamine, eight", phase0_doses="8", monitoring_minutes="75"
    )
    form.update(max_span_days="28", recheck_minutes="10")
    saved = admin.post("/admin/protocols/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    with app.app_context():
        protocol = db.session.scalar(select(Protocol).where(Protocol.code == "iv-ketamine-eight"))
        spec = protocol.spec()
        assert (spec.total_doses, spec.monitoring_minutes, spec.rules.recheck_minutes) == (8, 75, 10)
        assert [c.name for c in spec.rules.checks] == ["bp_pre", "bp_discharge"]
    assert "IV ketamine, eight" in admin.get("/admin/protocols/").get_data(as_text=True)

    edited = admin.post("/admin/protocols/iv-ketamine-eight", data={**form, "name": "IV ketamine x8"})
    assert edited.status_code == 302
    withdrawn = admin.post("/admin/protocols/iv-ketamine-eight", data={**form, "withdraw": "1"})
    assert withdrawn.status_code == 302
    with app.app_context():
        protocol = db.session.scalar(select(Protocol).where(Protocol.code == "iv-ketamine-eight"))
        assert (protocol.name, protocol.active) == ("IV ketamine x8", False)


def test_rules_the_domain_refuses_are_shown_next_to_their_field_and_nothing_is_saved(app, admin):
    form = _copy_form(admin)
    form.update(code="iv-too-close", phase0_days="0, 1", phase0_gap="2")
    refused = admin.post("/admin/protocols/new", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "default days are closer than 2 days" in html
    bad_check = {**form, "phase0_days": "0, 2, 4", "checks": "bp_pre, ecg, pre, before_dose, 0"}
    refused = admin.post("/admin/protocols/new", data=bad_check)
    assert refused.status_code == 422 and "must be one of bp, sedation, dissociation" in refused.get_data(
        as_text=True
    )
    limits = {**form, "phase0_days": "0, 2, 4", "urgent_systolic": "150"}
    refused = admin.post("/admin/protocols/new", data=limits)
    assert refused.status_code == 422 and "must be above discharge_max_systolic" in refused.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(Protocol).where(Protocol.code == "iv-too-close")) is None


def test_built_in_protocols_are_copied_not_changed_and_only_admins_see_the_pages(app, admin):
    form = _copy_form(admin, "spravato-induction")
    assert admin.post("/admin/protocols/spravato-induction", data=form).status_code == 409
    desk = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    _sign_in(desk, email="desk@example.com")
    assert desk.get("/admin/protocols/").status_code == 403
