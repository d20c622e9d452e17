import re

from openapi_spec_validator import validate

from clinic.api.routes import BLUEPRINTS


def test_openapi_document_is_valid_and_covers_every_endpoint(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    assert spec["openapi"].startswith("3.")

    documented = {
        (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    blueprint_names = {blueprint.name for blueprint in BLUEPRINTS}
    served = {
        (re.sub(r"<[^>]+>", "{}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in blueprint_names
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served, "no API routes found"
    assert served == documented


def test_errors_are_documented_as_problems(client):
    spec = client.get("/api/openapi.json").json
    post = spec["paths"]["/api/v1/locations"]["post"]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["403"]["content"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_loads_only_local_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.data.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the docs page must not load anything remote"
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert client.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200
