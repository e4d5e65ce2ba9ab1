"""The whole deal, inquiry to completion, through the services; and what each step records."""

import pytest

from exchange.core.models import AuditLog, Notification
from exchange.deals import services
from exchange.deals.lifecycle import DealState
from exchange.deals.models import DealMilestone, NdaAcceptance, Signature
from listings.models import ListingDailyStat

from .conftest import PASSWORD, TERMS

pytestmark = pytest.mark.django_db


def actions(deal):
    return list(
        AuditLog.objects.filter(action__startswith="deal.", data__deal=deal.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_full_flow_end_to_end(p, nda):
    deal = services.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Chúng tôi quan tâm."
    )
    assert deal.state == DealState.INQUIRY
    assert deal.seller_organization == p.seller_org and deal.buyer_organization == p.buyer_org
    assert ListingDailyStat.objects.get(listing=p.listing).inquiries == 1
    assert Notification.objects.filter(recipient=p.researcher, kind="deal_inquiry_received").exists()
    assert Notification.objects.filter(recipient=p.seller_signatory, kind="deal_inquiry_received").exists()

    services.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
    assert deal.state == DealState.NDA_PENDING
    assert Notification.objects.filter(recipient=p.buyer, kind="deal_nda_required").exists()

    acceptance = services.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256=nda.sha256, ip="203.0.113.9")
    assert deal.state == DealState.NEGOTIATING
    assert acceptance.text_sha256 == nda.sha256 and acceptance.text == nda.body
    assert acceptance.organization == p.buyer_org and acceptance.ip_address == "203.0.113.9"
    assert acceptance.user_name == p.buyer.full_name

    services.deal_send_message(actor=p.researcher, deal=deal, body="Gửi anh tài liệu kỹ thuật.")
    v1 = services.deal_propose_terms(actor=p.researcher, deal=deal, terms=TERMS)
    assert v1.version == 1 and v1.seller_accepted_at and not v1.buyer_accepted_at
    v2 = services.deal_propose_terms(
        actor=p.buyer, deal=deal, terms={**TERMS, "upfront_fee_vnd": 400_000_000}
    )
    assert [c["field"] for c in v2.diff(v1)] == ["upfront_fee_vnd"]
    assert deal.state == DealState.NEGOTIATING
    services.deal_accept_terms(actor=p.researcher, deal=deal, term_sheet=v2)
    assert deal.state == DealState.TERMS_AGREED
    assert deal.value_vnd == 400_000_000 + 200_000_000

    contract = services.deal_generate_contract(actor=p.researcher, deal=deal)
    assert deal.state == DealState.CONTRACT_READY
    assert contract.term_sheet == v2 and not contract.integrity_errors()

    s1 = services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD, ip="198.51.100.1")
    assert deal.state == DealState.CONTRACT_READY
    s2 = services.deal_sign(actor=p.buyer_signatory, deal=deal, password=PASSWORD)
    assert deal.state == DealState.SIGNED and deal.signed_at
    assert {s1.side, s2.side} == {"seller", "buyer"}
    assert s1.document_sha256 == contract.sha256 and s1.ip_address == "198.51.100.1" and s1.is_valid

    services.deal_start_execution(actor=p.buyer, deal=deal)
    assert deal.state == DealState.EXECUTING
    milestones = list(deal.milestones.all())
    assert [(m.kind, m.amount_vnd) for m in milestones] == [
        ("payment", 400_000_000),
        ("payment", 200_000_000),
        ("support", 0),
    ]
    services.deal_milestone_complete(actor=p.buyer, milestone=milestones[0])
    assert DealMilestone.objects.get(pk=milestones[0].pk).status == "done"

    services.deal_complete(actor=p.researcher, deal=deal, final_value_vnd=650_000_000)
    assert deal.state == DealState.COMPLETED and deal.value_vnd == 650_000_000

    assert actions(deal) == [
        "deal.create_inquiry",
        "deal.accept",
        "deal.require_nda",
        "deal.accept_nda",
        "deal.send_message",
        "deal.propose_terms",
        "deal.propose_terms",
        "deal.accept_terms",
        "deal.generate_contract",
        "deal.sign",
        "deal.sign",
        "deal.start_execution",
        "deal.milestone_done",
        "deal.complete",
    ]
    row = AuditLog.objects.get(action="deal.accept_nda", data__deal=deal.pk)
    assert row.before["state"] == "nda_pending" and row.after["state"] == "negotiating"
    assert NdaAcceptance.objects.filter(deal=deal).count() == 1
    assert Signature.objects.filter(contract=contract, voided_at__isnull=True).count() == 2


def test_request_listing_swaps_buyer_and_seller(p):
    from listings.tests.factories import RequestListingFactory

    request_listing = RequestListingFactory(published=True, organization=p.buyer_org, created_by=p.buyer)
    deal = services.deal_create_inquiry(
        actor=p.researcher,
        listing=request_listing,
        organization=p.seller_org,
        message="Chúng tôi có giải pháp.",
    )
    assert deal.buyer_organization == p.buyer_org and deal.seller_organization == p.seller_org
    assert deal.owner_side == "buyer"
    services.deal_accept(actor=p.buyer, deal=deal)
    assert deal.state == DealState.ACCEPTED


def test_accept_without_nda_then_open_negotiation(p):
    deal = services.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Xin chào"
    )
    services.deal_accept(actor=p.researcher, deal=deal)
    assert deal.state == DealState.ACCEPTED
    services.deal_open_negotiation(actor=p.researcher, deal=deal)
    assert deal.state == DealState.NEGOTIATING


def test_broker_proposal_needs_both_sides(p, nda, flow):
    deal = flow.negotiating()
    services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    services.deal_broker_accept_nda(actor=p.broker, deal=deal, text_sha256=nda.sha256)  # needed first
    sheet = services.deal_propose_terms(actor=p.broker, deal=deal, terms=TERMS)
    assert sheet.proposed_side == "broker" and not sheet.buyer_accepted_at and not sheet.seller_accepted_at
    services.deal_accept_terms(actor=p.buyer, deal=deal, term_sheet=sheet)
    assert deal.state == DealState.NEGOTIATING
    services.deal_accept_terms(actor=p.researcher, deal=deal, term_sheet=sheet)
    assert deal.state == DealState.TERMS_AGREED


def test_cancel_and_decline(p, flow):
    deal = flow.inquiry()
    services.deal_decline(actor=p.researcher, deal=deal, reason="Đã li-xăng độc quyền cho bên khác")
    assert deal.state == DealState.DECLINED
    deal2 = flow.inquiry()  # a declined deal does not block a new inquiry
    services.deal_cancel(actor=p.buyer, deal=deal2, reason="Không còn nhu cầu")
    assert deal2.state == DealState.CANCELLED


def test_a_federated_listing_has_no_local_deal(p):
    """Another exchange's listing belongs to its origin: the inquiry travels there (regional_network)."""
    from exchange.core.statemachine import WrongState

    p.listing.origin = "dongnai"
    p.listing.save(update_fields=["origin"])
    with pytest.raises(WrongState):
        services.deal_create_inquiry(actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="?")
    assert not p.listing.deals.exists()


def test_messages_and_inquiries_are_rate_limited(p, nda, settings):
    from exchange.core.ratelimit import RateLimited

    settings.RATE_LIMITS = {"deal_message": "3/600", "deal_inquiry": "1/3600"}
    deal = services.deal_create_inquiry(
        actor=p.buyer, listing=p.listing, organization=p.buyer_org, message="Hi"
    )
    services.deal_accept(actor=p.researcher, deal=deal, nda_template=nda)
    services.deal_accept_nda(actor=p.buyer, deal=deal, text_sha256=nda.sha256, ip="203.0.113.9")
    for n in range(3):
        services.deal_send_message(actor=p.buyer, deal=deal, body=f"tin {n}")
    with pytest.raises(RateLimited) as refused:
        services.deal_send_message(actor=p.buyer, deal=deal, body="one too many")
    assert 0 < refused.value.retry_after <= 600
    assert deal.messages.filter(body="one too many").count() == 0
    services.deal_send_message(actor=p.researcher, deal=deal, body="the other side still may")
    other = type(p.listing).objects.exclude(pk=p.listing.pk).filter(state="published").first()
    if other is None:
        from listings.tests.factories import ListingFactory

        other = ListingFactory(published=True, organization=p.seller_org)
    with pytest.raises(RateLimited):
        services.deal_create_inquiry(actor=p.buyer, listing=other, organization=p.buyer_org, message="again")
