def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["title"] == "Not Found"


def test_wrong_method_is_a_405_problem_with_allow(client, api_as):
    response = api_as("admin").put("/api/v1/locations", json={})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_body_that_is_not_an_object_is_rejected(client, api_as):
    response = api_as("admin").post("/api/v1/locations", json=[1, 2, 3])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_web_errors_are_friendly_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Back to the start page" in response.data


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
