"""Every transition: who may fire it, who is refused (NotPermitted), and refusal from a wrong state."""

import pytest

from exchange.deals import services
from exchange.deals.lifecycle import DealState, NotPermitted, WrongState

from .conftest import PASSWORD, TERMS

pytestmark = pytest.mark.django_db


def run(action, actor, deal, p, nda):
    latest = services.term_sheet_latest(deal)
    calls = {
        "accept": lambda: services.deal_accept(actor=actor, deal=deal),
        "decline": lambda: services.deal_decline(actor=actor, deal=deal, reason="x"),
        "require_nda": lambda: services.deal_require_nda(actor=actor, deal=deal, template=nda),
        "accept_nda": lambda: services.deal_accept_nda(actor=actor, deal=deal, text_sha256=nda.sha256),
        "open_negotiation": lambda: services.deal_open_negotiation(actor=actor, deal=deal),
        "send_message": lambda: services.deal_send_message(actor=actor, deal=deal, body="Xin chào"),
        "propose_terms": lambda: services.deal_propose_terms(actor=actor, deal=deal, terms=TERMS),
        "accept_terms": lambda: services.deal_accept_terms(actor=actor, deal=deal, term_sheet=latest),
        "generate_contract": lambda: services.deal_generate_contract(actor=actor, deal=deal),
        "sign": lambda: services.deal_sign(actor=actor, deal=deal, password=PASSWORD),
        "start_execution": lambda: services.deal_start_execution(actor=actor, deal=deal),
        "complete": lambda: services.deal_complete(actor=actor, deal=deal),
        "cancel": lambda: services.deal_cancel(actor=actor, deal=deal, reason="Không còn nhu cầu"),
        "assign_broker": lambda: services.deal_assign_broker(actor=actor, deal=deal, broker=p.broker),
    }
    return calls[action]()


def make(flow, p, nda, stage):
    if stage == "accepted":
        deal = flow.inquiry()
        services.deal_accept(actor=p.researcher, deal=deal)
        return deal
    if stage == "buyer_proposed":
        deal = flow.negotiating()
        services.deal_propose_terms(actor=p.buyer, deal=deal, terms=TERMS)
        return deal
    if stage == "nda_pending":
        deal = flow.inquiry()
        services.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
        return deal
    return getattr(flow, stage)()


# (action, stage the deal is in, people who may, people who may not)
CASES = [
    (
        "accept",
        "inquiry",
        ["researcher", "seller_signatory"],
        ["buyer", "buyer_signatory", "third", "stranger", "staff", "broker"],
    ),
    ("decline", "inquiry", ["researcher"], ["buyer", "third", "staff"]),
    ("require_nda", "accepted", ["researcher"], ["buyer", "third", "staff"]),
    (
        "accept_nda",
        "nda_pending",
        ["buyer", "buyer_signatory"],
        ["researcher", "seller_signatory", "third", "staff"],
    ),
    ("open_negotiation", "accepted", ["researcher"], ["buyer", "third", "staff"]),
    ("send_message", "inquiry", ["buyer", "researcher", "staff"], ["third", "stranger", "broker"]),
    ("propose_terms", "negotiating", ["buyer", "researcher"], ["third", "stranger", "staff", "broker"]),
    ("accept_terms", "buyer_proposed", ["researcher", "seller_signatory"], ["third", "staff"]),
    ("generate_contract", "agreed", ["researcher", "buyer", "staff"], ["third", "stranger", "broker"]),
    (
        "sign",
        "contract_ready",
        ["seller_signatory", "buyer_signatory"],
        ["researcher", "buyer", "third", "staff"],
    ),
    ("start_execution", "signed", ["researcher", "buyer", "staff"], ["third", "broker"]),
    ("complete", "executing", ["researcher", "staff"], ["buyer", "third", "broker"]),
    ("cancel", "negotiating", ["buyer", "researcher", "staff"], ["third", "stranger", "broker"]),
    ("cancel", "signed", ["staff"], ["buyer", "researcher", "third"]),
    ("assign_broker", "negotiating", ["staff"], ["buyer", "researcher", "third", "broker"]),
]


@pytest.mark.parametrize(
    ("action", "stage", "allowed", "refused"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES]
)
def test_who_may_and_may_not(p, nda, flow, action, stage, allowed, refused):
    deal = make(flow, p, nda, stage)
    for name in refused:
        with pytest.raises(NotPermitted):
            run(action, p[name], deal, p, nda)
    for name in allowed:  # each on its own deal in that stage (the previous one is cancelled below)
        fresh = deal if name == allowed[0] else make(flow, p, nda, stage)
        run(action, p[name], fresh, p, nda)
        fresh.refresh_from_db()
        if fresh.state not in (DealState.DECLINED, DealState.CANCELLED, DealState.COMPLETED):
            services.deal_cancel(actor=p.staff, deal=fresh, reason="test cleanup")


def test_anonymous_refused(p, flow):
    deal = flow.inquiry()
    with pytest.raises(NotPermitted):
        services.deal_accept(actor=p.anonymous, deal=deal)
    with pytest.raises(NotPermitted):
        services.deal_create_inquiry(
            actor=p.anonymous, listing=p.listing, organization=p.buyer_org, message="x"
        )


@pytest.mark.parametrize(
    ("action", "stage", "actor"),
    [
        ("accept", "negotiating", "researcher"),
        ("accept_nda", "inquiry", "buyer"),
        ("propose_terms", "inquiry", "buyer"),
        ("propose_terms", "signed", "buyer"),
        ("generate_contract", "negotiating", "researcher"),
        ("generate_contract", "signed", "researcher"),
        ("sign", "agreed", "seller_signatory"),
        ("start_execution", "contract_ready", "researcher"),
        ("complete", "signed", "researcher"),
        ("cancel", "executing", "buyer"),
    ],
)
def test_wrong_state_refused(p, nda, flow, action, stage, actor):
    deal = make(flow, p, nda, stage)
    with pytest.raises((WrongState, NotPermitted)):
        run(action, p[actor], deal, p, nda)


def test_inquiry_rules(p, flow):
    with pytest.raises(NotPermitted):  # not a member of that organisation
        services.deal_create_inquiry(actor=p.third, listing=p.listing, organization=p.buyer_org, message="x")
    with pytest.raises(Exception):  # own organisation
        services.deal_create_inquiry(
            actor=p.researcher, listing=p.listing, organization=p.seller_org, message="x"
        )
    flow.inquiry()
    with pytest.raises(Exception, match="đã có một giao dịch"):
        flow.inquiry()


def test_nda_needs_verified_organisation_and_exact_text(p, nda, flow):
    deal = make(flow, p, nda, "nda_pending")
    with pytest.raises(Exception, match="thay đổi"):
        services.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256="0" * 64)
    p.buyer_org.verified = False
    p.buyer_org.save()
    with pytest.raises(NotPermitted):
        services.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256=nda.sha256)


def test_sign_needs_the_password(p, flow):
    deal = flow.contract_ready()
    with pytest.raises(Exception, match="Mật khẩu"):
        services.deal_sign(actor=p.seller_signatory, deal=deal, password="wrong")
    services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
    with pytest.raises(WrongState):  # the same side twice
        services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)


def test_same_side_cannot_accept_its_own_version_twice(p, flow):
    deal = flow.negotiating()
    sheet = services.deal_propose_terms(actor=p.researcher, deal=deal, terms=TERMS)
    with pytest.raises(WrongState):
        services.deal_accept_terms(actor=p.seller_signatory, deal=deal, term_sheet=sheet)
    newer = services.deal_propose_terms(actor=p.researcher, deal=deal, terms={**TERMS, "term_months": 24})
    with pytest.raises(WrongState):  # only the latest version can be accepted
        services.deal_accept_terms(actor=p.buyer, deal=deal, term_sheet=sheet)
    services.deal_accept_terms(actor=p.buyer, deal=deal, term_sheet=newer)
