"""The partner API's OpenAPI 3 schema is valid, covers only /api/, and documents every error answer;
the Swagger UI page works without the internet (drf-spectacular-sidecar)."""

import pytest
from drf_spectacular.settings import patched_settings
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}


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


# --- regressions found by the API fuzzer (tests/test_api_fuzz.py) ----------------------------------------
def test_component_names_are_unambiguous(schema):
    """Two serializers once shared "OrganizationRef" and two "AcceptIn": one of each pair was documented
    with the other's shape (a technology's organisation wrongly required `id` and `country`)."""
    components = schema["components"]["schemas"]
    assert set(components["OrganizationRef"]["properties"]) == {"ref", "name"}
    assert {"id", "ref", "name", "country"} <= set(components["DealOrganization"]["properties"])
    assert set(components["AcceptInRequest"]["properties"]) == {"nda_template"}
    assert set(components["QuoteAcceptInRequest"]["properties"]) == {"quote"}


def test_every_paginated_list_documents_its_page_out_of_range_404(schema):
    paginated = [
        (method, path, op)
        for path, method, op in operations(schema)
        if any(p["in"] == "query" and p["name"] == "page" for p in op.get("parameters", []))
    ]
    assert {"/api/v1/deals/", "/api/v1/support/requests/", "/api/v1/valuations/"} <= {
        p for _, p, _ in paginated
    }
    assert [(m, p) for m, p, op in paginated if "404" not in op["responses"]] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deals/{id}/messages/",
        "/api/v1/deals/{id}/terms/",
        "/api/v1/deals/{id}/ratings/",
        "/api/v1/valuations/{id}/versions/",
    ],
)
def test_unpaginated_lists_are_documented_as_plain_arrays(schema, path):
    """These answer the whole list; they were documented as `{count, next, results}` pages."""
    op = schema["paths"][path]["get"]
    assert "page" not in {p["name"] for p in op.get("parameters", [])}
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_highlights_are_optional_in_list_items(schema):
    """Only a list searched with `q` carries `highlights`; it was documented as always present."""
    for name in ("TechnologySearchItem", "RequestSearchItem"):
        assert "highlights" not in schema["components"]["schemas"][name].get("required", [])


def test_an_unparseable_body_gets_the_documented_400(schema, client):
    """DRF answers malformed JSON with `{"detail": "JSON parse error …"}`; the 400 schema allowed only
    lists of messages by field."""
    from jsonschema import validate as validate_json

    response = client.post("/api/v1/auth/token/", data=b"\xb0{", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert "JSON parse error" in body["detail"]
    documented = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["400"]
    validate_json(body, documented["content"]["application/json"]["schema"])


def test_a_page_out_of_range_is_a_documented_json_404(client):
    from exchange.accounts import tokens
    from exchange.accounts.tests.factories import UserFactory

    _, key = tokens.api_token_create(user=UserFactory(), name="t")
    for path in ("/api/v1/deals/", "/api/v1/support/requests/", "/api/v1/valuations/"):
        response = client.get(path, {"page": "0"}, HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 404, path
        assert "detail" in response.json()


def test_empty_list_filters_are_documented_as_allowed(schema, client):
    """``?trl_max=`` is ignored like a missing filter (as a form sends it); the schema said integer only."""
    params = {p["name"]: p for p in schema["paths"]["/api/v1/technologies/"]["get"]["parameters"]}
    assert params["trl_max"]["allowEmptyValue"] is True
    assert client.get("/api/v1/technologies/", {"trl_max": ""}).status_code == 200


def test_nested_field_errors_fit_the_documented_400(schema, client):
    """A list field's errors come by index (``{"methods": {"0": ["…"]}}``); found by ``make fuzz``."""
    from jsonschema import validate as validate_json

    from exchange.accounts import tokens
    from exchange.accounts.tests.factories import UserFactory

    _, key = tokens.api_token_create(user=UserFactory(), name="t")
    response = client.post(
        "/api/v1/valuations/",
        {"title": "x", "methods": ["AAA"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 400
    assert "0" in response.json()["methods"]
    documented = schema["paths"]["/api/v1/valuations/"]["post"]["responses"]["400"]
    validate_json(response.json(), documented["content"]["application/json"]["schema"])
