"""The partner API refuses input its schema does not allow, with a 400 naming the field (issue #11: found
by ``make fuzz``, schemathesis' ``negative_data_rejection``), instead of DRF's lenient reading: a number
where the schema says string was stored as text, a ``page_size`` that is not a positive integer was
ignored and a ``page`` that is not a number was called "not found"."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    from exchange.accounts import tokens
    from exchange.accounts.models import OrganizationKind
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    organization = OrganizationFactory(kind=OrganizationKind.objects.get(code="enterprise"))
    user = MembershipFactory(organization=organization, user=UserFactory(roles=["business"])).user
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.api_token_create(user=user, name='t')[1]}")
    client.organization = organization
    return client


def test_a_number_for_a_string_field_is_refused_by_the_field(api):
    from exchange.support.models import ServiceRequest

    body = {"kind": "consulting", "organization": api.organization.pk, "description": 0}
    response = api.post("/api/v1/support/requests/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["description"]
    assert not ServiceRequest.objects.exists()
    body["description"] = "Cần tư vấn"
    assert api.post("/api/v1/support/requests/", body, format="json").status_code == 201


def test_a_number_for_a_password_is_refused_as_such_not_as_wrong_credentials():
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": "a@example.vn", "password": 12345678}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()


def test_form_data_strings_still_pass():
    """Form and query values are always strings: a strict text field changes nothing for them."""
    response = APIClient().post("/api/v1/auth/token/", {"email": "a@example.vn", "password": "12345678"})
    assert response.status_code == 400
    assert "password" not in response.json()


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_an_invalid_page_size_is_a_400_for_page_size(api, value):
    response = api.get("/api/v1/technologies/", {"page_size": value})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


def test_a_page_that_is_not_a_number_is_a_400_for_page(api):
    response = api.get("/api/v1/deals/", {"page": "abc"})
    assert response.status_code == 400
    assert list(response.json()) == ["page"]


def test_valid_and_empty_pagination_parameters_still_work(api):
    from listings.tests.factories import ListingFactory

    for _ in range(3):
        ListingFactory(published=True)
    page = api.get("/api/v1/technologies/", {"page_size": "2"}).json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert api.get("/api/v1/technologies/", {"page_size": "500", "page": "1"}).status_code == 200  # capped
    assert len(api.get("/api/v1/technologies/", {"page_size": "", "page": ""}).json()["results"]) == 3
    assert api.get("/api/v1/technologies/", {"page": "9"}).status_code == 404  # past the end


def test_schema_generation_has_no_warnings(tmp_path):
    """Enum name collisions (``kind``, ``state``, ``method``) made drf-spectacular invent hashed names
    such as ``KindA70Enum``; ``ENUM_NAME_OVERRIDES`` names each choice set once."""
    call_command(
        "spectacular", "--urlconf", "exchange.api_urls", "--fail-on-warn", "--file", str(tmp_path / "s.yaml")
    )


CALCULATION = {
    "method": "relief_from_royalty",
    "inputs": {"revenues": [1_000_000_000], "royalty_rate": 0.05, "tax_rate": 0.2, "discount_rate": 0.1},
}


@pytest.mark.parametrize("draws", ["500", 500.0, True])
def test_an_integer_field_takes_only_a_json_integer(draws):
    """DRF read ``"500"``, ``500.0`` and even ``true`` as the integer 500 (or 1)."""
    client = APIClient()
    response = client.post("/api/v1/valuations/calculate/", {**CALCULATION, "draws": draws}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["draws"]
    assert (
        client.post("/api/v1/valuations/calculate/", {**CALCULATION, "draws": 500}, format="json").status_code
        == 200
    )


def test_an_integer_id_given_as_text_is_refused(api):
    from exchange.support.models import ServiceRequest

    body = {"kind": "consulting", "organization": str(api.organization.pk), "description": "Cần tư vấn"}
    response = api.post("/api/v1/support/requests/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["organization"]
    assert not ServiceRequest.objects.exists()


def test_a_nested_record_value_of_the_wrong_type_is_refused_where_it_is(api):
    """Nested serializers and list items are checked too: the messages name the path."""
    from rest_framework import serializers

    from exchange.api import StrictSerializer, _json_type_error

    class Price(StrictSerializer):
        negotiable = serializers.BooleanField(required=False)
        amount = serializers.IntegerField()

    class Record(StrictSerializer):
        code = serializers.SlugField()
        price = Price()
        years = serializers.ListField(child=serializers.IntegerField())

    record = Record(data={"code": 0, "price": {"negotiable": "yes", "amount": 5}, "years": [2020, "2021"]})
    assert not record.is_valid()
    assert set(record.errors) == {"code", "price", "years"}  # every message of the body at once
    assert set(record.errors["price"]) == {"negotiable"} and set(record.errors["years"]) == {1}
    good = {"code": "a-b", "price": {"negotiable": True, "amount": 5}, "years": [2020]}
    assert Record(data=good).is_valid()
    assert _json_type_error(serializers.DateField(), 5) is None  # DRF's own parsing refuses it


def test_the_api_speaks_json_and_form_bodies_get_415(api):
    """A form or multipart body flattened nested values: a term sheet's milestones were dropped."""
    response = api.post(
        "/api/v1/support/requests/", {"kind": "consulting", "description": "x"}, format="multipart"
    )
    assert response.status_code == 415


@pytest.mark.parametrize("value", ["-5", "yes", "2"])
def test_a_boolean_query_parameter_takes_only_true_false_1_0(api, value):
    response = api.get("/api/v1/technologies/", {"mine": value})
    assert response.status_code == 400 and list(response.json()) == ["mine"]


@pytest.mark.parametrize("value", ["true", "1", "FALSE", "0", ""])
def test_the_documented_boolean_values_still_pass(api, value):
    assert api.get("/api/v1/technologies/", {"mine": value}).status_code == 200
