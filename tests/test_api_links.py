"""The OpenAPI links of the partner API (exchange/api_links.py): the served schema has them, each points at
an operation and parameters that exist, and a link table naming an unknown operation breaks the build."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from exchange.api_links import LINKS, Link, document_links

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(schema):
    return {
        op["operationId"]: op
        for item in schema["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }


def test_every_link_of_the_table_is_in_the_served_schema(schema):
    operations = _operations(schema)
    for link in LINKS:
        documented = operations[link.source]["responses"][link.status]["links"]
        for target in link.targets:
            assert documented[target]["operationId"] == target
            assert documented[target]["parameters"] == link.parameters
            assert documented[target].get("requestBody") == link.request_body


def test_each_link_targets_an_operation_and_parameters_that_exist(schema):
    operations = _operations(schema)
    count = 0
    for op in operations.values():
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                count += 1
                target = operations[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", [])}
                assert set(link["parameters"]) <= names, name
                assert all(
                    v.startswith(("$response.body#/", "$request.path.")) for v in link["parameters"].values()
                )
                if "requestBody" in link:
                    properties = target["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    component = schema["components"]["schemas"][properties.split("/")[-1]]
                    assert set(link["requestBody"]) <= set(component["properties"]), name
    assert count >= 40  # deals, support, listings, valuations, tokens


def test_the_deal_chain_is_linked(schema):
    links = _operations(schema)["deals_create"]["responses"]["201"]["links"]
    assert {"deals_retrieve", "deals_messages_create", "deals_terms_create", "deals_accept_create"} <= set(
        links
    )
    assert links["deals_payment_requests_list"]["parameters"] == {"deal_pk": "$response.body#/id"}


def _document(schema):
    # A fresh copy: the hook writes into the document it gets.
    import copy

    document = copy.deepcopy(schema)
    for op in _operations(document).values():
        for response in op["responses"].values():
            response.pop("links", None)
    return document


@pytest.mark.parametrize(
    "link",
    [
        Link("deals_create", "201", ("deals_no_such_step",), {"id": "$response.body#/id"}),
        Link("deals_no_such_create", "201", ("deals_retrieve",), {"id": "$response.body#/id"}),
        Link("deals_create", "299", ("deals_retrieve",), {"id": "$response.body#/id"}),
        Link("deals_create", "201", ("deals_retrieve",), {"pk": "$response.body#/id"}),
        Link(
            "deals_create",
            "201",
            ("deals_retrieve",),
            {"id": "$response.body#/id"},
            {"x": "$response.body#/id"},
        ),
    ],
    ids=["unknown target", "unknown source", "unknown status", "unknown parameter", "target without body"],
)
def test_the_hook_refuses_a_link_it_cannot_place(schema, link):
    with pytest.raises(ImproperlyConfigured):
        document_links(_document(schema), None, None, True, links=(link,))


def test_the_hook_accepts_the_versioned_operation_ids_of_the_bare_urlconf(schema):
    """``spectacular --urlconf exchange.api_urls`` names operations ``v1_…``; the links name them so."""
    document = _document(schema)
    for op in _operations(document).values():
        op["operationId"] = "v1_" + op["operationId"]
    document_links(document, None, None, True)
    links = _operations(document)["v1_deals_create"]["responses"]["201"]["links"]
    assert links["v1_deals_retrieve"]["operationId"] == "v1_deals_retrieve"
