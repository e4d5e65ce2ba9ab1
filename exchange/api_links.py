"""OpenAPI links of the partner API: which call can follow the answer of another, and with which value.

A link says "the ``id`` in this 201 answer is the ``{id}`` of these operations". Clients and generated
SDKs read them to chain calls, and schemathesis' stateful phase (``tests/test_api_fuzz.py``) follows them:
it creates an inquiry, then reads the deal, writes in its room, proposes terms … with the id it got back.

The table below is declarative; ``document_links`` (a drf-spectacular postprocessing hook, registered in
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) writes it into the responses of the source operations.
It raises if an operationId, a status code or a parameter of the table is not in the schema, so a renamed
route or view breaks the schema build instead of silently dropping its links.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BODY_ID = "$response.body#/id"
# The ``{id}`` of the request that got the answer (a deal's term sheet, a support request's quote).
REQUEST_ID = "$request.path.id"


class Link(NamedTuple):
    """Answers ``status`` of ``source`` link to each of ``targets`` with these ``parameters`` (name of a
    parameter of the target → runtime expression) and, if given, fields of its request body."""

    source: str
    status: str
    targets: tuple[str, ...]
    parameters: dict[str, str]
    request_body: dict[str, str] | None = None


DEAL_STEPS = (
    "deals_retrieve",
    "deals_accept_create",
    "deals_decline_create",
    "deals_cancel_create",
    "deals_accept_nda_create",
    "deals_assign_broker_create",
    "deals_messages_list",
    "deals_messages_create",
    "deals_terms_list",
    "deals_terms_create",
    "deals_contract_retrieve",
    "deals_contract_create",
    "deals_comparable_consent_create",
    "deals_ratings_list",
)
SUPPORT_STEPS = (
    "support_requests_retrieve",
    "support_requests_assign_create",
    "support_requests_quote_create",
    "support_requests_decline_create",
    "support_requests_cancel_create",
    "support_requests_start_create",
    "support_requests_deliver_create",
)


def _listing_steps(prefix: str) -> tuple[str, ...]:
    return tuple(
        f"{prefix}_{step}"
        for step in ("retrieve", "update", "partial_update", "submit_create", "renew_create")
    )


LINKS: tuple[Link, ...] = (
    # An inquiry opens a deal: everything that happens in its room follows from the deal's id.
    Link("deals_create", "201", DEAL_STEPS, {"id": BODY_ID}),
    Link("deals_create", "201", ("deals_payment_requests_list",), {"deal_pk": BODY_ID}),
    # Each step of a deal answers the deal, so the next step can follow it.
    Link("deals_accept_create", "200", ("deals_accept_nda_create", "deals_retrieve"), {"id": BODY_ID}),
    Link("deals_accept_nda_create", "200", ("deals_terms_create", "deals_retrieve"), {"id": BODY_ID}),
    # A proposed term sheet is accepted by its id, in the same deal.
    Link(
        "deals_terms_create",
        "201",
        ("deals_accept_terms_create",),
        {"id": REQUEST_ID},
        {"term_sheet": BODY_ID},
    ),
    Link(
        "deals_accept_terms_create",
        "200",
        ("deals_contract_create", "deals_retrieve"),
        {"id": BODY_ID},
    ),
    # A support request: read it, quote, assign, work on it; a quote is accepted by its id.
    Link("support_requests_create", "201", SUPPORT_STEPS, {"id": BODY_ID}),
    Link(
        "support_requests_quote_create",
        "201",
        ("support_requests_accept_create",),
        {"id": REQUEST_ID},
        {"quote": BODY_ID},
    ),
    # A listing draft: read it, change it, submit it for review.
    Link("technologies_create", "201", _listing_steps("technologies"), {"id": BODY_ID}),
    Link("requests_create", "201", _listing_steps("requests"), {"id": BODY_ID}),
    # A valuation and its saved versions.
    Link(
        "valuations_create",
        "201",
        (
            "valuations_retrieve",
            "valuations_partial_update",
            "valuations_versions_list",
            "valuations_versions_create",
            "valuations_destroy",
        ),
        {"id": BODY_ID},
    ),
    # A token just issued can be revoked.
    Link("auth_token_create", "201", ("auth_tokens_destroy",), {"id": BODY_ID}),
)

METHODS = ("get", "put", "patch", "post", "delete")
VERSION_PREFIX = "v1_"


def _operations(result: dict) -> dict[str, dict]:
    """Operations by the operationId of the table. ``/api/schema/`` names them without the version
    (``deals_create``: drf-spectacular drops the common path prefix ``/api/v1/``); a schema of
    ``exchange.api_urls`` itself (``manage.py spectacular --urlconf exchange.api_urls``) has ``v1_`` in
    front. Both are matched; the links written name the document's own operationId."""
    found = {
        operation["operationId"]: operation
        for path_item in result.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in METHODS and isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id, operation in list(found.items()):
        if operation_id.startswith(VERSION_PREFIX):
            found.setdefault(operation_id.removeprefix(VERSION_PREFIX), operation)
    return found


def _check_target(operation_id: str, target: dict, link: Link) -> None:
    names = {p.get("name") for p in target.get("parameters", []) if p.get("in") in ("path", "query")}
    unknown = sorted(set(link.parameters) - names)
    if unknown:
        raise ImproperlyConfigured(
            f"OpenAPI link {link.source} {link.status} -> {operation_id}: no parameter {', '.join(unknown)} "
            f"(it has {', '.join(sorted(names)) or 'none'})."
        )
    if link.request_body and "requestBody" not in target:
        raise ImproperlyConfigured(
            f"OpenAPI link {link.source} {link.status} -> {operation_id}: the target takes no request body."
        )


PARTNER_URLCONFS = (None, "exchange.api_urls")


def _is_partner_api(generator) -> bool:
    """The served ``/api/schema/`` (``exchange.api_urls.schema_urlconf``), the root urlconf, or
    ``spectacular --urlconf exchange.api_urls``."""
    from exchange import api_urls  # the urlconf imports the views, which import this module's settings

    urlconf = getattr(generator, "urlconf", None)
    return (
        urlconf is api_urls.schema_urlconf or urlconf in PARTNER_URLCONFS or urlconf == settings.ROOT_URLCONF
    )


def document_links(result, generator, request, public, links: tuple[Link, ...] = LINKS):
    """drf-spectacular postprocessing hook: adds ``links`` to the responses the table names.

    Raises ``ImproperlyConfigured`` for an operationId, status code or parameter that is not in the
    schema, rather than leaving the link out. A schema of another urlconf (a test's handful of one app's
    routes) is left as it is: its operationIds are not the partner API's.
    """
    if not _is_partner_api(generator):
        return result
    operations = _operations(result)
    for link in links:
        for operation_id in (link.source, *link.targets):
            if operation_id not in operations:
                raise ImproperlyConfigured(
                    f"OpenAPI link {link.source} {link.status}: no operation {operation_id!r} in the schema."
                )
        response = operations[link.source].get("responses", {}).get(link.status)
        if response is None:
            raise ImproperlyConfigured(
                f"OpenAPI link {link.source}: the operation has no {link.status} answer."
            )
        documented = response.setdefault("links", {})
        for operation_id in link.targets:
            _check_target(operation_id, operations[operation_id], link)
            target = operations[operation_id]["operationId"]
            definition: dict[str, Any] = {"operationId": target, "parameters": dict(link.parameters)}
            if link.request_body:
                definition["requestBody"] = dict(link.request_body)
            documented[target] = definition
    return result
