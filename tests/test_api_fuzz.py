"""Property-based fuzzing of the partner API against its own OpenAPI schema (schemathesis, issue #11).

Every operation of ``/api/schema/`` is called in-process through the real WSGI stack (middleware, token
authentication, throttles) with generated requests, and schemathesis' checks assert what the schema
promises: no 5xx, only documented status codes, bodies and headers that match their schemas, schema-valid
input accepted and invalid input rejected.

Requests come from every kind of caller (anonymous, researcher, TTO manager, business, broker, staff) with
real API tokens of users in a small seeded exchange: published and draft listings, deals in several
states, a deal in execution with payment requests, support requests and valuations. Path ids are often
swapped for ids of those objects, so authorised paths are exercised and not only 401s and 404s.

``make test`` runs a few examples per operation; ``make fuzz`` (``FUZZ_FULL=1``) runs the examples,
coverage and fuzzing phases with many more (``FUZZ_MAX_EXAMPLES``, default 100). Each call runs in a
savepoint that is rolled back, so examples do not depend on one another. See docs/api-fuzzing.md.
"""

from __future__ import annotations

import json
import os
import zlib

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection

FULL = os.environ.get("FUZZ_FULL") == "1"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100" if FULL else "4"))
# The stateful phase: scenarios (chains along the schema's links) and the steps of each.
SCENARIOS = MAX_EXAMPLES if FULL else 10
SCENARIO_STEPS = 10 if FULL else 5


def openapi_document() -> dict:
    """The document ``/api/schema/`` serves (our API only; Wagtail's admin API is not part of it)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from exchange import api_urls

    generated = SchemaGenerator(urlconf=api_urls.schema_urlconf).get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def fuzz_config():
    from schemathesis.config import SchemathesisConfig

    # make test: the schema's examples and a few generated cases; make fuzz adds the coverage phase
    # (boundary and invalid values for every parameter) and many more generated cases.
    phases = {
        "examples": {},
        "coverage": {"enabled": FULL},
        "fuzzing": {},
        # Only the documented links (exchange/api_links.py), not ones schemathesis would infer: each linked
        # step has a caller who may take it (``ACTORS``).
        # make test keeps its few scenarios to valid requests, which chains need; make fuzz mixes in
        # invalid ones as well.
        "stateful": {"inference": {"algorithms": []}, "generation": {"mode": "all" if FULL else "positive"}},
    }
    return SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": not FULL},
            "phases": phases,
            "checks": {
                # 400 also carries refusals a schema cannot express (a wrong password, an unknown
                # organisation ref, an incomplete interchange record): schema-valid input may get it.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
                },
            },
            # Hypothesis' warnings about slow or large generation; they skip no operation and no check.
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        }
    )


# Built at collection (well under a second), so each operation is its own test that xdist can spread.
schema = schemathesis.openapi.from_dict(openapi_document(), config=fuzz_config())
# Calls go through Django's WSGI handler in-process (checks that send probes use it too).
schema.app = get_wsgi_application()

# Marked so pytest-django creates the test database; each test then runs in its own savepoint inside the
# module's transaction (``exchange_data``).
pytestmark = pytest.mark.django_db

ANON = "anonymous"
ROLES = (ANON, "researcher", "seller_signatory", "buyer", "buyer_signatory", "broker", "staff", "stranger")


@pytest.fixture
def keep_test_connection():
    """Django's handler closes the database connection around each request; in a test that would end
    the test transaction, so (as Django's test client does) those two receivers are off meanwhile."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def exchange_data(django_db_setup, django_db_blocker):
    """Built once per module, in a transaction rolled back at the end (every test and call inside it runs
    in its own savepoint, also rolled back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield _build_exchange()
        finally:
            transaction.set_rollback(True)


def _build_exchange():
    """A small exchange: the people of a deal, listings in several states, deals at several steps (one
    executing, with payment requests), a support request with a quote, a valuation, and an API token for
    each role. Returns ``(tokens by role, ids by kind of path)``."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from exchange.accounts import tokens
    from exchange.accounts.models import MembershipRole, OrganizationKind
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
    from exchange.deals import services as deals
    from exchange.deals.models import NdaTemplate
    from exchange.deals.tests.conftest import PASSWORD, PDF, TERMS
    from exchange.payments import services as payments
    from exchange.support import services as support
    from listings import services as listings
    from listings.tests.factories import ListingFactory, RequestListingFactory
    from valuation import services as valuations

    seller_org = OrganizationFactory()
    buyer_org = OrganizationFactory(kind=OrganizationKind.objects.get(code="enterprise"))
    researcher = MembershipFactory(organization=seller_org, user=UserFactory(roles=["researcher"])).user
    seller_signatory = MembershipFactory(organization=seller_org, role=MembershipRole.TTO_MANAGER).user
    buyer = MembershipFactory(organization=buyer_org, user=UserFactory(roles=["business"])).user
    buyer_signatory = MembershipFactory(organization=buyer_org, role=MembershipRole.SIGNATORY).user
    people = {
        "researcher": researcher,
        "seller_signatory": seller_signatory,
        "buyer": buyer,
        "buyer_signatory": buyer_signatory,
        "broker": UserFactory(roles=["broker"]),
        "staff": UserFactory(roles=["staff"]),
        "stranger": UserFactory(),
    }
    offers = [
        ListingFactory(published=True, organization=seller_org, created_by=researcher) for _ in range(4)
    ]
    listings.listing_attachment_add(
        actor=researcher,
        listing=offers[0],
        file=SimpleUploadedFile("bi-quyet.pdf", PDF, content_type="application/pdf"),
        confidential=True,
    )
    draft = ListingFactory(organization=seller_org, created_by=researcher)
    wanted = RequestListingFactory(published=True, organization=buyer_org, created_by=buyer)
    request_draft = RequestListingFactory(organization=buyer_org, created_by=buyer)
    nda = NdaTemplate.objects.get(organization=None, code="standard", language="vi")

    def inquiry(listing):
        return deals.deal_create_inquiry(
            actor=buyer, listing=listing, organization=buyer_org, message="Chúng tôi quan tâm."
        )

    new_deal = inquiry(offers[1])
    negotiating = inquiry(offers[2])
    deals.deal_accept(actor=researcher, deal=negotiating, nda_template=nda)
    deals.deal_accept_nda(actor=buyer, deal=negotiating, text_sha256=nda.sha256)
    deals.deal_propose_terms(actor=researcher, deal=negotiating, terms=TERMS)
    executing = inquiry(offers[0])
    deals.deal_accept(actor=researcher, deal=executing, nda_template=nda)
    deals.deal_accept_nda(actor=buyer, deal=executing, text_sha256=nda.sha256)
    deals.deal_send_message(actor=buyer, deal=executing, body="Xin chào.", attachment=None)
    sheet = deals.deal_propose_terms(actor=researcher, deal=executing, terms=TERMS)
    deals.deal_accept_terms(actor=buyer, deal=executing, term_sheet=sheet)
    deals.deal_generate_contract(actor=researcher, deal=executing)
    deals.deal_sign(actor=seller_signatory, deal=executing, password=PASSWORD)
    deals.deal_sign(actor=buyer_signatory, deal=executing, password=PASSWORD)
    deals.deal_start_execution(actor=researcher, deal=executing)
    milestones = [m for m in executing.milestones.all() if m.kind == "payment"]
    payment_requests = [
        payments.payment_request_create(actor=seller_signatory, milestone=m) for m in milestones
    ]

    service_request = support.service_request_create(
        actor=buyer, kind="consulting", description="Cần tư vấn hợp đồng li-xăng.", organization=buyer_org
    )
    quote = support.service_request_quote(
        actor=people["staff"],
        request=service_request,
        amount_vnd=10_000_000,
        description="Gói tư vấn",
        valid_until=timezone.localdate() + dt.timedelta(days=7),
    )
    valuation = valuations.valuation_create(
        actor=researcher, title="Định giá thử", methods=["cost"], listing=offers[0], inputs={}
    )

    role_tokens = {role: tokens.api_token_create(user=user, name="fuzz")[1] for role, user in people.items()}
    ids = {
        "/api/v1/technologies/": [o.pk for o in offers] + [draft.pk],
        "/api/v1/requests/": [wanted.pk, request_draft.pk],
        "/api/v1/deals/": [executing.pk, negotiating.pk, new_deal.pk],
        "/api/v1/support/requests/": [service_request.pk],
        "/api/v1/valuations/": [valuation.pk],
        "/api/v1/auth/tokens/": list(
            tokens.ApiToken.objects.filter(user__in=people.values()).values_list("pk", flat=True)
        ),
        "quote": [quote.pk],
        "reference": [pr.reference for pr in payment_requests],
        # Real references for the bodies of the stateful phase's calls (``_fill_references``).
        "refs": {
            "free_offer": offers[3].pk,  # published, no deal yet: an inquiry about it can be opened
            "buyer_org": buyer_org.pk,
            "seller_org_ref": seller_org.ref,
            "buyer_org_ref": buyer_org.ref,
            "offer": offers[0].pk,
            "nda": nda.pk,
            "broker": people["broker"].pk,
            "staff": people["staff"].pk,
            "buyer_email": buyer.email,
            "password": "s3cret-pass-123",  # UserFactory's
        },
    }
    return role_tokens, ids


def _known_ids(ids: dict, path: str) -> tuple[str, list]:
    """The path parameter to swap and the real values for it (the longest matching prefix)."""
    if "{reference}" in path:
        return "reference", ids["reference"]
    if "{deal_pk}" in path:
        return "deal_pk", ids["/api/v1/deals/"]
    for prefix in sorted((k for k in ids if k.startswith("/")), key=len, reverse=True):
        if path.startswith(prefix) and "{id}" in path:
            return "id", ids[prefix]
    return "", []


def _chosen(case, salt: str, n: int) -> int:
    """A stable choice among ``n`` derived from the generated request: the same case always gets the
    same caller and id (so Hypothesis can replay and shrink a failure), and many cases spread evenly.
    (``@schema.given`` would let Hypothesis draw these, but it turns off the examples and coverage
    phases.)"""
    key = repr((salt, case.operation.label, case.path_parameters, case.query, case.headers, case.body))
    return zlib.crc32(key.encode("utf-8", "backslashreplace")) % n


@schema.parametrize()
# The function-scoped fixtures are safe to share between examples: every call is rolled back.
@hypothesis.settings(deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_api_answers_as_its_schema_says(case, exchange_data, keep_test_connection):
    role_tokens, ids = exchange_data
    name, values = _known_ids(ids, case.operation.path)
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if name and not negative_path and case.path_parameters and name in case.path_parameters:
        pick = _chosen(case, "id", 2 * len(values))
        if pick < len(values):  # half the time a real object, else whatever was generated
            case.path_parameters[name] = values[pick]
    role = ROLES[_chosen(case, "role", len(ROLES))]
    # Given at call time, the token counts as real credentials: schemathesis then also checks that the
    # same request without them, or with a made-up token, is refused (``ignored_auth``).
    headers = {"Authorization": f"Token {role_tokens[role]}"} if role != ANON else None
    hypothesis.note(f"caller: {role}")
    with transaction.atomic():
        try:
            case.call_and_validate(headers=headers)
        finally:
            transaction.set_rollback(True)


# --- The stateful phase: chains of calls along the schema's OpenAPI links (exchange/api_links.py) ---

# Who takes each linked step, so a chain can go on: the buyer opens an inquiry and accepts the NDA and
# the terms, the seller's researcher accepts the inquiry and proposes terms, staff quote and handle a
# support request. A step's caller is one of its roles (chosen from the request, as above); every role
# named for a read may see the object, so a 404 after a 201 is a real finding (ensure_resource_availability).
SELLER, BUYER, STAFF = ("researcher",), ("buyer",), ("staff",)
PARTIES = ("buyer", "researcher")
ACTORS = {
    "deals_create": BUYER,
    "deals_retrieve": PARTIES,
    "deals_accept_create": SELLER,
    "deals_decline_create": SELLER,
    "deals_cancel_create": BUYER,
    "deals_accept_nda_create": BUYER,
    "deals_assign_broker_create": STAFF,
    "deals_messages_list": PARTIES,
    "deals_messages_create": PARTIES,
    "deals_terms_list": PARTIES,
    "deals_terms_create": SELLER,
    "deals_accept_terms_create": BUYER,
    "deals_contract_retrieve": PARTIES,
    "deals_contract_create": SELLER,
    "deals_comparable_consent_create": PARTIES,
    "deals_ratings_list": PARTIES,
    "deals_payment_requests_list": PARTIES,
    "support_requests_create": BUYER,
    "support_requests_retrieve": ("buyer", "staff"),
    "support_requests_cancel_create": BUYER,
    "support_requests_accept_create": BUYER,
    "support_requests_assign_create": STAFF,
    "support_requests_quote_create": STAFF,
    "support_requests_decline_create": STAFF,
    "support_requests_start_create": STAFF,
    "support_requests_deliver_create": STAFF,
    "requests_create": BUYER,
    "auth_tokens_destroy": BUYER,
    "auth_token_create": (ANON,),
}
for _kind in ("technologies", "requests"):
    for _step in ("create", "retrieve", "update", "partial_update", "submit_create", "renew_create"):
        ACTORS.setdefault(f"{_kind}_{_step}", SELLER if _kind == "technologies" else BUYER)
for _step in ("create", "retrieve", "partial_update", "versions_list", "versions_create", "destroy"):
    ACTORS[f"valuations_{_step}"] = SELLER


def _fill_references(case, refs: dict) -> None:
    """Put real references into the body of a schema-valid request, where a generated one would only get
    400/404 and end the chain: the offer and organisation of an inquiry, the organisation of a listing,
    the NDA text being accepted, the broker or staff member assigned, credentials for a token. Only keys
    the generated body has are replaced (optional ones stay optional); invalid requests are left alone."""
    from schemathesis.generation import GenerationMode

    if (
        case.meta is None
        or case.meta.generation.mode != GenerationMode.POSITIVE
        or not isinstance(case.body, dict)
    ):
        return
    operation_id = case.operation.definition.raw.get("operationId")
    body = case.body
    values = {
        "deals_create": {"listing": refs["free_offer"], "organization": refs["buyer_org"]},
        "deals_accept_create": {"nda_template": refs["nda"]},
        "deals_assign_broker_create": {"broker": refs["broker"]},
        "support_requests_create": {"organization": refs["buyer_org"]},
        "support_requests_assign_create": {"assignee": refs["staff"]},
        "valuations_create": {"listing": refs["offer"]},
        "valuations_partial_update": {"listing": refs["offer"]},
        "auth_token_create": {"email": refs["buyer_email"], "password": refs["password"]},
    }.get(operation_id, {})
    if operation_id in ("technologies_create", "technologies_update"):
        values = {"organization": {"ref": refs["seller_org_ref"]}}
    elif operation_id in ("requests_create", "requests_update"):
        values = {"organization": {"ref": refs["buyer_org_ref"]}}
    elif operation_id == "deals_accept_nda_create":
        from exchange.deals.models import Deal

        deal = Deal.objects.select_related("nda_template").filter(pk=case.path_parameters.get("id")).first()
        if deal is not None and deal.nda_template is not None:
            values = {"text_sha256": deal.nda_template.sha256}
    if operation_id == "support_requests_create":
        # A deal or listing the buyer is not part of is a 400; the request stands without them.
        body.pop("deal", None)
        body.pop("listing", None)
    for key, value in values.items():
        if key in body:
            body[key] = value


class ExchangeWorkflow(schema.as_state_machine()):
    """Each scenario runs in a savepoint rolled back in ``teardown``: its calls see one another's writes
    (the inquiry it opened, the terms it proposed), and no scenario sees another's."""

    exchange: tuple[dict, dict]

    def setup(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def step(self, input):
        role_tokens, ids = self.exchange
        case = input.case
        if input.transition is None:
            # A chain's first call: a path id is often one of the seeded objects, as in the stateless test.
            name, values = _known_ids(ids, case.operation.path)
            # Only in valid requests: an invalid path id swapped for a real one would make the request valid.
            valid = case.meta is not None and not case.meta.generation.mode.is_negative
            if name and valid and case.path_parameters and name in case.path_parameters:
                pick = _chosen(case, "id", 2 * len(values))
                if pick < len(values):
                    case.path_parameters[name] = values[pick]
        _fill_references(case, ids["refs"])
        return super().step(input)

    def get_call_kwargs(self, case):
        role_tokens, _ = self.exchange
        roles = ACTORS.get(case.operation.definition.raw.get("operationId"), ROLES)
        role = roles[_chosen(case, "role", len(roles))]
        hypothesis.note(f"{case.operation.label}: caller {role}")
        # Passed to the call and to the checks, so ``ignored_auth`` knows these are real credentials.
        return {"headers": {"Authorization": f"Token {role_tokens[role]}"}} if role != ANON else {}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # As ``RecordingStateMachine`` does, and the headers given as well: without them schemathesis takes
        # the token for a generated one, and a 201 with it for "API accepts invalid authentication".
        # Invalid requests are the stateless test's job. Here schemathesis at times marks a linked step
        # "negative" whose body it could not make invalid ("Invalid component: positive test case": a POST
        # /deals/{id}/accept/ with no body, which is valid) and flags its 200 as accepting invalid data.
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=[negative_data_rejection],
            headers=kwargs.get("headers"),
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


def test_api_chains_follow_its_links(exchange_data, keep_test_connection):
    """Scenarios of up to ``SCENARIO_STEPS`` calls along the links (create, then read, write in, change,
    submit …), with the same checks as above plus schemathesis' stateful ones (a resource just created is
    not 404, a deleted one is)."""
    ExchangeWorkflow.exchange = exchange_data
    ExchangeWorkflow.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=SCENARIO_STEPS,
            deadline=None,
            derandomize=not FULL,
            phases=[hypothesis.Phase.generate] + ([hypothesis.Phase.shrink] if FULL else []),
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
