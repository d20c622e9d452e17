"""The front desk's Messages page: open texts with the patient, local time and text; "Mark handled"."""

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.services.actor import Actor
from clinic.services.messages import InboundText, receive_text
from tests.factories import make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from

SMS = Actor(user=None, label="patient text message")


@pytest.fixture
def texts(app, clock):
    with app.app_context():
        clinic = make_clinic(phone="+16175550100")
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.phone = "+16175550142"
        make_user("frontdesk", email="desk@example.com")
        make_user("admin", email="admin@example.com")
        db.session.commit()
        known = receive_text(
            InboundText("SM-1", "+16175550142", "", "Can I bring my sister?"), SMS, clock.now
        )
        unknown = receive_text(
            InboundText("SM-2", "+16175550199", "", "Who is this? <script>"), SMS, clock.now
        )
        db.session.commit()
        return {"known": known.message.id, "unknown": unknown.message.id, "patient": patient.id}


def test_the_page_lists_open_texts_with_patient_local_time_and_text(app, client, texts):
    _sign_in(client)
    page = client.get("/messages/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/patients/{texts["patient"]}"' in html and "Can I bring my sister?" in html
    assert "Unknown number" in html and "(617) 555-0199" in html
    assert "&lt;script&gt;" in html and "<script>" not in html.split("<main", 1)[-1].split("</main>")[0]
    assert "10:00" in html and "AM" in html  # 15:00 UTC is 10:00 AM in Boston
    assert "15:00" not in html
    assert 'href="/messages/"' in html  # in the menu
    with app.app_context():
        read = db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "patient.read",
                AuditEvent.details["via"].as_string() == "web_messages.index",
            )
        ).all()
    assert read == [str(texts["patient"])]


def test_mark_handled_takes_a_text_off_the_list(app, client, texts):
    _sign_in(client)
    page = client.get("/messages/")
    done = client.post(
        f"/messages/{texts['known']}/handled",
        data={"csrf_token": _token_from(page.data)},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "marked as handled" in html
    assert "Can I bring my sister?" not in html and "Who is this?" in html
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.object_id).where(AuditEvent.action == "message.handle")
        ) == str(texts["known"])


def test_admins_do_not_see_patients_texts(app, client, texts):
    _sign_in(client, email="admin@example.com")
    assert client.get("/messages/").status_code == 403
    assert 'href="/messages/"' not in client.get("/").get_data(as_text=True)
