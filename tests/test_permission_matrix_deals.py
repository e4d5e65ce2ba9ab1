"""Who may reach the deal room, payment and valuation routes (issue #11), on one world with a live deal.

The rule these tables record: a deal, its payment requests and their files belong to the deal's parties
(members of the listing's organisation and of the counterparty), the broker staff assigned to it and the
exchange's staff; everybody else — another organisation's researcher, an unassigned broker, a moderator —
gets 404, so not even the existence of a deal leaks. Inside the deal, who may *do* what is the lifecycle
table's business (``exchange/deals/lifecycle.py``): a party refused an action is sent back to the room with
the reason (302) on the site, or answered 403/409 by the API. A valuation is private to the person who made
it and the appraiser assigned to it; staff may read it (to assign appraisers) but not change it.

The generic BROKER role of the shared ROLES is *not* this deal's broker; the assigned broker and the
assigned appraiser are checked in ``test_assigned_people``. Money routes are checked with their real
services: the milestone asked for is above Stripe's per-charge cap, so the payer's card page sends them to
the bank-transfer page (302) without calling Stripe. POST_MATRIX proves that refused writes change no
deal, message, signature, payment, ledger entry or valuation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, UserFactory
from exchange.deals import services as deal_services
from exchange.deals.models import NdaTemplate
from exchange.payments import services as payment_services
from exchange.support import services as support_services
from tests.permission_matrix_support import (
    ANON,
    BROKER,
    BUSINESS,
    MODERATOR,
    OTHER,
    OWNER,
    PEER,
    ROLES,
    STAFF,
    TTO,
)
from tests.test_permission_matrix import (  # noqa: F401 - ``world`` is the shared fixture
    POST_ONLY,
    SIGNED_IN,
    _clients,
    _get,
    _get_mismatches,
    world,
)
from valuation import services as valuation_services

PASSWORD = "s3cret-pass-123"  # UserFactory's
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TERMS = {
    "transaction_type": "exclusive_license",
    "field_of_use": "Xử lý nước thải dệt nhuộm",
    "territory": "Việt Nam",
    "term_months": 36,
    "upfront_fee_vnd": 500_000_000,
    "milestones": [{"label": "Nghiệm thu pilot", "amount_vnd": 200_000_000, "due": "2027-06-30"}],
    "royalty_percent": "3.5",
    "minimum_annual_royalty_vnd": 100_000_000,
    "improvements": "",
    "support_training": "",
    "other_terms": "",
}
#: cheap methods (no Monte Carlo): the matrix is about who gets in, not about the numbers
VALUATION_INPUTS = {
    "cost": {"costs": [{"amount": 500_000_000, "year": 2024}], "valuation_year": 2026, "index_rate": 0.04},
    "scoring": {"scores": {"legal": {"scope": 4}, "market": {"demand": 2}}},
}

# --- profiles ------------------------------------------------------------------------------------------
_NON_PARTIES = {OTHER: 404, BROKER: 404, MODERATOR: 404}

#: the deal's parties and staff read it; everyone else signed in gets 404, the anonymous the login page
DEAL_VIEWERS = {ANON: 302, OWNER: 200, TTO: 200, BUSINESS: 200, STAFF: 200, PEER: 302, **_NON_PARTIES}
#: the same through the API (401 without a session or token)
API_DEAL_VIEWERS = {**DEAL_VIEWERS, ANON: 401, PEER: 401}
#: a POST-only site route behind the login: the login page first, then 405 to everyone
LOGIN_POST_ONLY = {**POST_ONLY, ANON: 302, PEER: 302}
#: a POST-only API action: 401 without credentials, 405 to everyone signed in
API_POST_ONLY = {**POST_ONLY, ANON: 401, PEER: 401}
#: a valuation: its owner and staff (read-only); nobody else learns it exists
VALUATION_VIEWERS = {
    ANON: 302,
    OTHER: 404,
    OWNER: 200,
    TTO: 404,  # the owner's TTO manager too: a valuation is personal (valuation/permissions.py)
    BUSINESS: 404,
    BROKER: 404,
    MODERATOR: 404,
    STAFF: 200,
    PEER: 302,
}
#: staff-only site page
STAFF_ONLY = {ANON: 302, OTHER: 403, OWNER: 403, TTO: 403, BUSINESS: 403, BROKER: 403, MODERATOR: 403}
STAFF_ONLY = {**STAFF_ONLY, STAFF: 200, PEER: 302}

MATRIX = {
    # --- deal room (site) ---
    "deals:inquire": SIGNED_IN,  # the form on a live listing: anyone signed in may express interest
    "deals:room": DEAL_VIEWERS,
    "deals:contract": DEAL_VIEWERS,
    "deals:terms_propose": DEAL_VIEWERS,  # the form; whether they may send it is the lifecycle's call
    "deals:message_attachment": DEAL_VIEWERS,
    "deals:signature_pdf": DEAL_VIEWERS,
    "deals:action": LOGIN_POST_ONLY,
    "deals:message_post": LOGIN_POST_ONLY,
    "deals:milestone_done": LOGIN_POST_ONLY,
    "deals:sign": LOGIN_POST_ONLY,
    "deals:sign_certificate": LOGIN_POST_ONLY,
    "deals:signature_code": LOGIN_POST_ONLY,
    # --- deal room (API) ---
    "api:deal-detail": API_DEAL_VIEWERS,
    "api:deal-messages": API_DEAL_VIEWERS,
    "api:deal-terms": API_DEAL_VIEWERS,
    "api:deal-contract": API_DEAL_VIEWERS,
    "api:deal-ratings": API_DEAL_VIEWERS,
    "api:deal-signing-pdf": API_DEAL_VIEWERS,
    "api:deal-payment-requests": API_DEAL_VIEWERS,
    "api:payment-request-detail": API_DEAL_VIEWERS,
    "api:deal-accept": API_POST_ONLY,
    "api:deal-accept-nda": API_POST_ONLY,
    "api:deal-accept-terms": API_POST_ONLY,
    "api:deal-assign-broker": API_POST_ONLY,
    "api:deal-broker-accept-nda": API_POST_ONLY,
    "api:deal-cancel": API_POST_ONLY,
    "api:deal-comparable-consent": API_POST_ONLY,
    "api:deal-complete": API_POST_ONLY,
    "api:deal-decline": API_POST_ONLY,
    "api:deal-open-negotiation": API_POST_ONLY,
    "api:deal-sign": API_POST_ONLY,
    "api:deal-sign-certificate": API_POST_ONLY,
    "api:deal-signature-code": API_POST_ONLY,
    "api:deal-start-execution": API_POST_ONLY,
    # --- payments ---
    "payments:detail": DEAL_VIEWERS,
    "payments:qr": DEAL_VIEWERS,
    "payments:invoice": DEAL_VIEWERS,
    # Only the buyer side pays: the other viewers are refused (403); the payer is sent on to the bank
    # transfer page because this milestone is above Stripe's per-charge cap (no Stripe call).
    "payments:card": {**DEAL_VIEWERS, OWNER: 403, TTO: 403, BUSINESS: 302, STAFF: 403},
    "payments:statement": STAFF_ONLY,
    "payments:request": LOGIN_POST_ONLY,
    "payments:pay_service_quote": LOGIN_POST_ONLY,
    "payments:card_confirm": LOGIN_POST_ONLY,
    "payments:confirm_receipt": LOGIN_POST_ONLY,
    "payments:cancel": LOGIN_POST_ONLY,
    # --- valuations (owner: OWNER; report published by the assigned appraiser) ---
    "valuation:detail": VALUATION_VIEWERS,
    "valuation:compare": VALUATION_VIEWERS,
    "valuation:report": VALUATION_VIEWERS,  # the unpublished report of a saved version
    "valuation:report_pdf": VALUATION_VIEWERS,
    "valuation:published_report": VALUATION_VIEWERS,
    "valuation:published_report_pdf": VALUATION_VIEWERS,
    "valuation:share": {**VALUATION_VIEWERS, STAFF: 403},  # sharing into a deal room is the owner's act
    "valuation:assign": LOGIN_POST_ONLY,
    "valuation:delete": LOGIN_POST_ONLY,
    "valuation:publish": LOGIN_POST_ONLY,
    "valuation:version_save": LOGIN_POST_ONLY,
    "api:valuation-detail": {**VALUATION_VIEWERS, ANON: 401, PEER: 401},
    "api:valuation-versions": {**VALUATION_VIEWERS, ANON: 401, PEER: 401},
}

ROUTE_KWARGS = {
    "deals:inquire": lambda w: {"listing_pk": w["live"].pk},
    "deals:action": lambda w: {"pk": w["deal"].pk, "name": "cancel"},
    "deals:message_attachment": lambda w: {"pk": w["message"].pk},
    "deals:signature_pdf": lambda w: {"pk": w["deal"].pk, "signature_pk": w["signature"].pk},
    "deals:milestone_done": lambda w: {"pk": w["deal"].pk, "milestone_pk": w["milestones"][1].pk},
    "api:deal-payment-requests": lambda w: {"deal_pk": w["deal"].pk},
    "api:payment-request-detail": lambda w: {"reference": w["pr"].reference},
    "payments:request": lambda w: {"deal_pk": w["deal"].pk, "milestone_pk": w["milestones"][1].pk},
    "payments:pay_service_quote": lambda w: {"quote_pk": w["quote"].pk},
    "payments:statement": lambda w: {"pk": w["statement"].pk},
    "valuation:published_report": lambda w: {"pk": w["report"].pk},
    "valuation:published_report_pdf": lambda w: {"pk": w["report"].pk},
}
for _name in MATRIX:
    if _name.startswith(("payments:", "api:payment-request")) and _name not in ROUTE_KWARGS:
        ROUTE_KWARGS[_name] = lambda w: {"reference": w["pr"].reference}
    elif _name.startswith(("valuation:", "api:valuation-")) and _name not in ROUTE_KWARGS:
        ROUTE_KWARGS[_name] = lambda w: {"pk": w["valuation"].pk}
    elif _name not in ROUTE_KWARGS:
        ROUTE_KWARGS[_name] = lambda w: {"pk": w["deal"].pk}
QUERY = {"valuation:compare": "?a=1&b=2"}


def _url(name, w):
    return reverse(name, kwargs=ROUTE_KWARGS[name](w)) + QUERY.get(name, "")


@pytest.fixture
def deal_world(world):  # noqa: F811 - the shared fixture, imported above
    """The shared world plus: a deal of business B on organisation A's live listing, driven through the
    services to execution (NDA, terms, contract signed by both sides, milestones), its broker assigned
    and under the NDA, a message with a file, a signature with a signed PDF, a payment request; a support
    request of B with an accepted quote; a bank statement; OWNER's valuation with two versions and a
    report published by the assigned appraiser."""
    users = world["users"]
    owner, tto, business, staff = users[OWNER], users[TTO], users[BUSINESS], users[STAFF]
    org_b = business.memberships.get().organization
    buyer_signatory = MembershipFactory(organization=org_b, role=MembershipRole.SIGNATORY).user
    assigned_broker = UserFactory(roles=["broker"])
    nda = NdaTemplate.objects.get(organization=None, code="standard", language="vi")

    deal = deal_services.deal_create_inquiry(
        actor=business, listing=world["live"], organization=org_b, message="Chúng tôi quan tâm."
    )
    deal_services.deal_accept(actor=owner, deal=deal, nda_template=nda)
    deal_services.deal_accept_nda(actor=business, deal=deal, text_sha256=nda.sha256)
    sheet = deal_services.deal_propose_terms(actor=owner, deal=deal, terms=TERMS)
    deal_services.deal_accept_terms(actor=business, deal=deal, term_sheet=sheet)
    deal_services.deal_generate_contract(actor=owner, deal=deal)
    deal_services.deal_sign(actor=tto, deal=deal, password=PASSWORD)
    deal_services.deal_sign(actor=buyer_signatory, deal=deal, password=PASSWORD)
    deal_services.deal_start_execution(actor=owner, deal=deal)
    deal_services.deal_assign_broker(actor=staff, deal=deal, broker=assigned_broker)
    deal_services.deal_broker_accept_nda(actor=assigned_broker, deal=deal, text_sha256=nda.sha256)
    message = deal_services.deal_send_message(
        actor=owner,
        deal=deal,
        body="Biên bản nghiệm thu đính kèm.",
        attachment=SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf"),
    )
    # The file a certificate signature keeps (pyHanko's check is tested in exchange/deals/tests; here
    # only who may download it matters).
    signature = deal.contracts.get(superseded_at__isnull=True).signatures.get(side="buyer")
    signature.signed_pdf.save("ky-so.pdf", ContentFile(PDF), save=True)
    milestones = [m for m in deal.milestones.order_by("id") if m.kind == "payment"]
    pr = payment_services.payment_request_create(actor=tto, milestone=milestones[0])

    support = support_services.service_request_create(
        actor=business, kind="consulting", description="Tư vấn hợp đồng li-xăng.", organization=org_b
    )
    quote = support_services.service_request_quote(
        actor=staff,
        request=support,
        amount_vnd=10_000_000,
        description="Gói tư vấn",
        valid_until=timezone.localdate() + dt.timedelta(days=3),
    )
    support_services.service_request_accept_quote(actor=business, request=support, quote=quote)
    statement = payment_services.bank_statement_import(
        actor=staff,
        data=b"date,amount,description,bank transaction id\n2026-12-01,1000000,chuyen khoan,FT0001\n",
        filename="sao-ke.csv",
    )

    appraiser = UserFactory(roles=["appraiser"])
    valuation = valuation_services.valuation_create(
        actor=owner,
        title="Định giá công nghệ xử lý nước",
        methods=["cost", "scoring"],
        listing=world["live"],
        inputs=VALUATION_INPUTS,
    )
    valuation_services.valuation_assign_appraiser(actor=staff, valuation=valuation, appraiser=appraiser)
    valuation.refresh_from_db()
    version = valuation_services.valuation_save_version(actor=owner, valuation=valuation, note="Bản đầu")
    valuation_services.valuation_save_version(actor=appraiser, valuation=valuation, note="Thẩm định")
    report = valuation_services.valuation_publish_report(
        actor=appraiser, valuation=valuation, version=version, opinion="Hợp lý."
    )
    deal.refresh_from_db()
    return {
        **world,
        "deal": deal,
        "message": message,
        "signature": signature,
        "milestones": milestones,
        "pr": pr,
        "quote": quote,
        "statement": statement,
        "valuation": valuation,
        "report": report,
        "assigned_broker": assigned_broker,
        "appraiser": appraiser,
        "buyer_signatory": buyer_signatory,
    }


def test_matrix_rows_name_every_role():
    for name, table in MATRIX.items():
        assert set(table) == set(ROLES), name
    assert set(ROUTE_KWARGS) == set(MATRIX)


def test_get_status_per_role(deal_world):
    """Every role against every route in one pass; the failure lists every cell that differs."""
    wrong = _get_mismatches(MATRIX, _clients(deal_world), lambda name: _url(name, deal_world))
    assert not wrong, "\n".join(wrong)


#: The people the shared roles do not cover: the deal's assigned broker sees what the parties see (and
#: pays or asks for nothing); the assigned appraiser works in the valuation, which the generic roles
#: cannot. Routes not named answer as for the generic BROKER role (deal world) or their MATRIX row.
ASSIGNED = {
    "assigned_broker": {
        **{name: 200 for name, row in MATRIX.items() if row is DEAL_VIEWERS or row is API_DEAL_VIEWERS},
        "payments:card": 403,
    },
    "appraiser": {
        **{name: 200 for name, row in MATRIX.items() if row is VALUATION_VIEWERS},
        "valuation:share": 403,  # works in the valuation, but disclosing it is the owner's act
        "api:valuation-detail": 200,
        "api:valuation-versions": 200,
        # not a party of the deal the valuation's listing is in
        **{name: 404 for name, row in MATRIX.items() if row is DEAL_VIEWERS or row is API_DEAL_VIEWERS},
        "payments:card": 404,
    },
}


def test_assigned_people(deal_world):
    from django.test import Client

    wrong = []
    for who, overrides in ASSIGNED.items():
        client = Client()
        client.force_login(deal_world[who])
        for name, row in MATRIX.items():
            expected = overrides.get(name, row[BROKER])
            status = client.get(_url(name, deal_world)).status_code
            if status != expected:
                wrong.append(f"{name} {who}: expected {expected}, got {status}")
    assert not wrong, "\n".join(wrong)


#: The deal's assigned broker while the NDA is outstanding (another broker assigned after the first one
#: accepted): the room's summary, the deal itself (value hidden) and its ratings, and nothing with the
#: deal's value or content in it — the payment pages, the QR code, the invoice and the payment API
#: included (403: they know the deal exists, and the room shows them the NDA to accept).
OUTSTANDING_BROKER = {
    **{name: 403 for name, row in MATRIX.items() if row is DEAL_VIEWERS or row is API_DEAL_VIEWERS},
    "deals:room": 200,
    "api:deal-detail": 200,
    "api:deal-ratings": 200,
    "deals:message_attachment": 404,  # files are looked up through the messages they may read
    "payments:card": 403,
}


def test_assigned_broker_with_outstanding_nda(deal_world):
    from django.test import Client

    new_broker = UserFactory(roles=["broker"])
    deal_services.deal_assign_broker(
        actor=deal_world["users"][STAFF], deal=deal_world["deal"], broker=new_broker
    )
    client = Client()
    client.force_login(new_broker)
    wrong = []
    for name, row in MATRIX.items():
        expected = OUTSTANDING_BROKER.get(name, row[BROKER])
        status = client.get(_url(name, deal_world)).status_code
        if status != expected:
            wrong.append(f"{name}: expected {expected}, got {status}")
    assert not wrong, "\n".join(wrong)
    api = client.get(reverse("api:deal-detail", kwargs={"pk": deal_world["deal"].pk})).json()
    assert api.get("value_vnd") is None
    # Nor do the payment emails (they carry the amount) reach them; the parties still hear of it.
    from exchange.core.models import Notification

    payment_services.payment_request_create(
        actor=deal_world["users"][TTO], milestone=deal_world["milestones"][1]
    )
    requested = Notification.objects.filter(kind="payment_requested")
    assert requested.filter(recipient=deal_world["users"][BUSINESS]).exists()
    assert not requested.filter(recipient=new_broker).exists()


# --- unsafe methods: who is refused, and proof that nothing was written ---------------------------------
_SITE_OUT = {ANON: 302, PEER: 302, **_NON_PARTIES}  # login page, or 404 for whoever is not in the deal
_API_OUT = {ANON: 401, PEER: 401, **_NON_PARTIES}
_VAL_OUT = {ANON: 302, PEER: 302, OTHER: 404, TTO: 404, BUSINESS: 404, BROKER: 404, MODERATOR: 404}
_VAL_API_OUT = {**_VAL_OUT, ANON: 401, PEER: 401}
_PARTIES_403 = {OWNER: 403, TTO: 403, BUSINESS: 403}


def _deal_kw(**extra):
    return lambda w: {"pk": w["deal"].pk, **extra}


_milestone = lambda w: {"pk": w["deal"].pk, "milestone_pk": w["milestones"][1].pk}  # noqa: E731
_payment_milestone = lambda w: {"deal_pk": w["deal"].pk, "milestone_pk": w["milestones"][1].pk}  # noqa: E731
_pr = lambda w: {"reference": w["pr"].reference}  # noqa: E731
_val = lambda w: {"pk": w["valuation"].pk}  # noqa: E731

# (method, route, kwargs, data, {role: status}); the roles that may do the action are left out. A party
# the lifecycle refuses is sent back to the room with the reason (302) on the site and answered 403 (not
# your role) or 409 (not now) by the API; staff, who may read a valuation, get 403 for changing it. Data
# given as a callable is built from the world (ids of people).
POST_MATRIX = [
    (
        "post",
        "deals:action",
        _deal_kw(name="cancel"),
        {"reason": "x"},
        {**_SITE_OUT, OWNER: 302, TTO: 302, BUSINESS: 302},
    ),
    (
        "post",
        "deals:action",
        _deal_kw(name="assign_broker"),
        lambda w: {"broker": w["users"][BROKER].pk},
        {**_SITE_OUT, OWNER: 302, TTO: 302, BUSINESS: 302},
    ),
    ("post", "deals:action", _deal_kw(name="complete"), {"final_value_vnd": 1}, {**_SITE_OUT, BUSINESS: 302}),
    (
        "post",
        "deals:action",
        _deal_kw(name="consent_comparable"),
        {"consent": "on", "side": "seller"},
        {**_SITE_OUT, OWNER: 302, BUSINESS: 302},
    ),
    ("post", "deals:message_post", _deal_kw(), {"body": "Xin chào"}, _SITE_OUT),
    ("post", "deals:terms_propose", _deal_kw(), {"transaction_type": "license", "term_months": 1}, _SITE_OUT),
    ("post", "deals:milestone_done", _milestone, {}, _SITE_OUT),
    (
        "post",
        "deals:sign",
        _deal_kw(),
        {"password": PASSWORD, "side": "seller"},
        {**_SITE_OUT, OWNER: 302, BUSINESS: 302},
    ),
    ("post", "deals:signature_code", _deal_kw(), {"side": "seller"}, _SITE_OUT),
    ("post", "deals:sign_certificate", _deal_kw(), {"side": "seller"}, _SITE_OUT),
    ("post", "payments:request", _payment_milestone, {}, {**_SITE_OUT, BUSINESS: 403}),
    (
        "post",
        "payments:confirm_receipt",
        _pr,
        {"amount_vnd": 1, "bank_txn_id": "FT9"},
        {**_SITE_OUT, **_PARTIES_403},
    ),
    ("post", "payments:cancel", _pr, {"reason": "x"}, {**_SITE_OUT, **_PARTIES_403}),
    (
        "post",
        "payments:card_confirm",
        _pr,
        {"token": "tok_x"},
        {**_SITE_OUT, OWNER: 403, TTO: 403, STAFF: 403},
    ),
    (
        "post",
        "payments:pay_service_quote",
        lambda w: {"quote_pk": w["quote"].pk},
        {},
        {**_SITE_OUT, OWNER: 404, TTO: 404},
    ),
    ("post", "api:deal-cancel", _deal_kw(), {"reason": "x"}, {**_API_OUT, **_PARTIES_403}),
    (
        "post",
        "api:deal-assign-broker",
        _deal_kw(),
        lambda w: {"broker": w["users"][BROKER].pk},
        {**_API_OUT, **_PARTIES_403},
    ),
    ("post", "api:deal-complete", _deal_kw(), {"final_value_vnd": 1}, {**_API_OUT, BUSINESS: 403}),
    ("post", "api:deal-messages", _deal_kw(), {"body": "Xin chào"}, _API_OUT),
    (
        "post",
        "api:deal-comparable-consent",
        _deal_kw(),
        {"consent": True, "side": "seller"},
        {**_API_OUT, OWNER: 403, BUSINESS: 403},
    ),
    (
        "post",
        "api:deal-broker-accept-nda",
        _deal_kw(),
        {"text_sha256": "0" * 64},
        {**_API_OUT, **_PARTIES_403, STAFF: 403},
    ),
    ("post", "api:deal-contract", _deal_kw(), {"language": "vi"}, _API_OUT),
    ("post", "api:deal-terms", _deal_kw(), {}, _API_OUT),
    (
        "post",
        "api:deal-sign",
        _deal_kw(),
        {"password": PASSWORD, "side": "seller"},
        {**_API_OUT, OWNER: 403, BUSINESS: 403},
    ),
    (
        "post",
        "api:deal-signature-code",
        _deal_kw(),
        {"side": "seller"},
        {**_API_OUT, OWNER: 403, BUSINESS: 403},
    ),
    ("post", "api:deal-sign-certificate", _deal_kw(), {}, _API_OUT),
    ("post", "api:deal-accept", _deal_kw(), {}, _API_OUT),
    ("post", "api:deal-accept-nda", _deal_kw(), {"text_sha256": "0" * 64}, _API_OUT),
    ("post", "api:deal-accept-terms", _deal_kw(), {"term_sheet": 0}, _API_OUT),
    ("post", "api:deal-decline", _deal_kw(), {"reason": "x"}, _API_OUT),
    ("post", "api:deal-open-negotiation", _deal_kw(), {}, _API_OUT),
    ("post", "api:deal-start-execution", _deal_kw(), {}, _API_OUT),
    ("post", "api:deal-ratings", _deal_kw(), {"score": 1}, _API_OUT),
    ("post", "valuation:delete", _val, {}, {**_VAL_OUT, STAFF: 403}),
    ("post", "valuation:version_save", _val, {"note": "x"}, {**_VAL_OUT, STAFF: 403}),
    ("post", "valuation:detail", _val, {}, {**_VAL_OUT, STAFF: 403}),
    ("post", "valuation:share", _val, {}, {**_VAL_OUT, STAFF: 403}),
    ("post", "valuation:publish", _val, {"version": "1"}, {**_VAL_OUT, OWNER: 403, STAFF: 403}),
    ("post", "valuation:assign", _val, lambda w: {"appraiser": w["appraiser"].pk}, {**_VAL_OUT, OWNER: 403}),
    ("post", "api:valuation-versions", _val, {"note": "x"}, {**_VAL_API_OUT, STAFF: 403}),
    ("patch", "api:valuation-detail", _val, {"title": "Bị sửa"}, {**_VAL_API_OUT, STAFF: 403}),
    ("delete", "api:valuation-detail", _val, {}, {**_VAL_API_OUT, STAFF: 403}),
]


def _snapshot(w) -> dict:
    """Everything a refused write could have touched, as plain values."""
    from exchange.core.models import AuditLog
    from exchange.deals.models import Contract, Deal, DealRating, Message, NdaAcceptance, Signature, TermSheet
    from exchange.payments.models import JournalEntry, Payment, PaymentRequest, Refund
    from valuation.models import Valuation, ValuationReport, ValuationVersion

    deal = w["deal"]
    return {
        "deal": Deal.objects.filter(pk=deal.pk).values().get(),
        "messages": list(Message.objects.filter(deal=deal).values_list("pk", "body")),
        "term_sheets": TermSheet.objects.filter(deal=deal).count(),
        "contracts": list(Contract.objects.filter(deal=deal).values_list("pk", "superseded_at")),
        "signatures": list(Signature.objects.filter(contract__deal=deal).values_list("pk", "voided_at")),
        "nda": NdaAcceptance.objects.filter(deal=deal).count(),
        "ratings": DealRating.objects.filter(deal=deal).count(),
        "milestones": list(deal.milestones.values_list("pk", "status")),
        "payment_requests": list(PaymentRequest.objects.values_list("pk", "status", "paid_vnd")),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "ledger": JournalEntry.objects.count(),
        "valuations": list(Valuation.objects.values_list("pk", "title", "appraiser_id", "inputs")),
        "versions": ValuationVersion.objects.count(),
        "reports": ValuationReport.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def test_refused_writes_change_nothing(deal_world):
    """Every refused POST/PATCH/DELETE answers the expected status and leaves the deal, its messages,
    signatures, milestones, payment requests, payments and ledger, and the valuation exactly as they were."""
    from django.test import Client

    clients = _clients(deal_world)
    # The appraiser of a valuation is no party of the deal (logged in first: a login is audited).
    outsider = Client()
    outsider.force_login(deal_world["appraiser"])
    before = _snapshot(deal_world)
    wrong = []
    for method, name, kwargs, data, expected in POST_MATRIX:
        url = reverse(name, kwargs=kwargs(deal_world))
        body = data(deal_world) if callable(data) else data
        for role, status in expected.items():
            client = clients[role]
            if name.startswith("api:") and name != "api:deal-messages":  # the API speaks JSON
                got = getattr(client, method)(url, body, content_type="application/json").status_code
            else:
                got = client.post(url, body).status_code
            if got != status:
                wrong.append(f"{method.upper()} {name} {role}: expected {status}, got {got}")
    for url in (
        reverse("deals:message_post", kwargs={"pk": deal_world["deal"].pk}),
        reverse("api:deal-messages", kwargs={"pk": deal_world["deal"].pk}),
    ):
        got = outsider.post(url, {"body": "Xin chào"}).status_code
        if got != 404:
            wrong.append(f"POST {url} appraiser: expected 404, got {got}")
    assert not wrong, "\n".join(wrong)
    assert _snapshot(deal_world) == before


def test_appraiser_cannot_disclose_the_valuation_into_their_own_deal(deal_world):
    """Regression: the assigned appraiser could post the owner's valuation, PDF attached, into any deal
    room of their own organisation (``can_edit`` was the only check); sharing is the owner's alone now."""
    from django.test import Client

    from exchange.deals.models import Message

    appraiser, valuation = deal_world["appraiser"], deal_world["valuation"]
    org_c = deal_world["users"][OTHER].memberships.get().organization
    MembershipFactory(organization=org_c, user=appraiser)
    own_deal = deal_services.deal_create_inquiry(
        actor=appraiser, listing=deal_world["live"], organization=org_c, message="Quan tâm."
    )
    version = valuation.versions.get(number=1)
    client = Client()
    client.force_login(appraiser)
    url = reverse("valuation:share", kwargs={"pk": valuation.pk})
    assert client.get(url).status_code == 403
    response = client.post(url, {"deal": own_deal.pk, "version": version.pk, "language": "vi"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        valuation_services.valuation_share_to_deal(
            actor=appraiser, valuation=valuation, version=version, deal=own_deal
        )
    assert list(Message.objects.filter(deal=own_deal).values_list("author_id", flat=True)) == [appraiser.pk]
