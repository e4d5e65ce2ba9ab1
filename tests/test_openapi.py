"""The partner API's OpenAPI 3 schema is valid, covers only /api/, and documents every error answer;
the Swagger UI page works without the internet (drf-spectacular-sidecar)."""

import pytest
from drf_spectacular.settings import patched_settings
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_covers_the_partner_api_only(schema):
    paths = set(schema["paths"])
    assert all(p.startswith("/api/v1/") for p in paths)
    for expected in (
        "/api/v1/technologies/",
        "/api/v1/technologies/{id}/",
        "/api/v1/technologies/{id}/submit/",
        "/api/v1/technologies/{id}/renew/",
        "/api/v1/requests/",
        "/api/v1/requests/{id}/",
        "/api/v1/requests/{id}/submit/",
        "/api/v1/requests/{id}/renew/",
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{id}/",
    ):
        assert expected in paths
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_every_operation_documents_its_error_responses(schema):
    missing = []
    for path, method, op in operations(schema):
        codes = set(op["responses"])
        needed = set()
        is_token_obtain = path == "/api/v1/auth/token/"
        if not is_token_obtain:
            needed.add("401")  # no credentials for a write, or a bad/revoked token anywhere
        if "{id}" in path:
            needed.add("404")
        if "requestBody" in op and op["requestBody"]["content"]:
            needed.add("400")
        if (
            method == "get"
            and "{id}" not in path
            and path.startswith(("/api/v1/technologies", "/api/v1/requests"))
        ):
            needed |= {"400", "404"}  # bad filter values; page out of range
        if path == "/api/v1/valuations/calculate/":
            needed.add("429")  # open to anyone, rate-limited
        elif method in {"post", "put", "patch"} and not path.startswith("/api/v1/auth/"):
            needed.add("403")
        if method in {"put", "patch"} or path.endswith(("/submit/", "/renew/")):
            needed.add("409")
        if needed - codes:
            missing.append((method.upper(), path, sorted(needed - codes)))
        for code in codes - {"200", "201", "202", "204"}:
            assert op["responses"][code].get("description"), (method, path, code)
            assert "content" in op["responses"][code], (method, path, code)
    assert missing == []


def test_list_filters_are_documented(schema):
    params = {p["name"] for p in schema["paths"]["/api/v1/technologies/"]["get"]["parameters"]}
    assert {
        "q",
        "field",
        "trl_min",
        "trl_max",
        "ip_type",
        "transaction_type",
        "province",
        "price_max",
        "organization",
        "page",
        "mine",
    } <= params
    params = {p["name"] for p in schema["paths"]["/api/v1/requests/"]["get"]["parameters"]}
    assert {"q", "field", "province", "organization", "trl", "page", "mine"} <= params


def test_swagger_ui_is_served_from_local_static_files(client):
    with patched_settings({"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR"}):
        response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/api/schema/" in html


def test_sidecar_files_exist():
    from pathlib import Path

    import drf_spectacular_sidecar

    dist = (
        Path(drf_spectacular_sidecar.__file__).parent
        / "static"
        / "drf_spectacular_sidecar"
        / "swagger-ui-dist"
    )
    assert (dist / "swagger-ui-bundle.js").exists() and (dist / "swagger-ui.css").exists()


def test_sidecar_is_configured_so_the_docs_work_offline(settings):
    """Needs ``drf_spectacular_sidecar`` in INSTALLED_APPS and SWAGGER_UI_DIST/FAVICON = "SIDECAR"."""
    from django.contrib.staticfiles import finders

    assert "drf_spectacular_sidecar" in settings.INSTALLED_APPS
    assert settings.SPECTACULAR_SETTINGS.get("SWAGGER_UI_DIST") == "SIDECAR"
    assert settings.SPECTACULAR_SETTINGS.get("SWAGGER_UI_FAVICON_HREF") == "SIDECAR"
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/technologies/", "/api/"])
def test_unknown_api_paths_are_json_404_not_redirects(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_missing_trailing_slash_still_redirects(client):
    response = client.get("/api/v1/technologies")
    assert response.status_code == 301 and response["Location"] == "/api/v1/technologies/"
