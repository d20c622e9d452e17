from sqlalchemy import select

from clinic.extensions import db
from clinic.models.feed import FeedToken
from tests.factories import make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from


def test_patient_page_makes_a_feed_link_with_qr_once_and_can_revoke_it(app, client):
    with app.app_context():
        clinic = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    _sign_in(client)
    page = client.get(f"/patients/{clinic['patient_id']}")
    assert page.status_code == 200
    assert b"No calendar feed yet" in page.data
    issued = client.post(
        f"/patients/{clinic['patient_id']}/feed", data={"csrf_token": _token_from(page.data)}
    )
    html = issued.data.decode()
    assert issued.status_code == 200
    assert 'data-testid="feed-qr"' in html and "<svg" in html
    assert "webcal://" in html and "Google refreshes" in html
    path = "/feeds/" + html.split("/feeds/")[1].split(".ics")[0] + ".ics"
    assert client.get(path).status_code == 200

    again = client.get(f"/patients/{clinic['patient_id']}").data.decode()
    assert "A feed link is active" in again and "/feeds/" not in again  # never shown twice
    client.post(f"/patients/{clinic['patient_id']}/feed/revoke", data={"csrf_token": _token_from(page.data)})
    assert client.get(path).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(FeedToken.revoked_at)) is not None


def test_provider_makes_their_own_feed(app, client):
    with app.app_context():
        clinic = make_clinic()
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
    _sign_in(client, email="doc@example.com")
    page = client.get("/me/feed")
    issued = client.post("/me/feed", data={"csrf_token": _token_from(page.data)})
    assert b"webcal://" in issued.data
    token = _token_from(page.data)
    assert (
        client.post(f"/patients/{clinic['patient_id']}/feed", data={"csrf_token": token}).status_code == 403
    )
