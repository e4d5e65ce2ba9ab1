"""The contract: every Art. 23 item, registration and revenue-share flags from data, signatures that
die when terms change, tamper detection, and immutability once signed."""

import re

import pytest

from exchange.core.models import AuditLog
from exchange.deals import services
from exchange.deals.contracts import ART23_ITEMS
from exchange.deals.lifecycle import DealState, WrongState
from exchange.deals.models import Contract, RegistrationRule, RevenueShareRule, TermSheet

from .conftest import PASSWORD, TERMS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["vi", "en"])
def test_contract_contains_every_art23_item(p, flow, language):
    deal = flow.agreed()
    contract = services.deal_generate_contract(actor=p.researcher, deal=deal, language=language)
    html = contract.content_html
    for code, title_vi, title_en in ART23_ITEMS:
        section = re.search(rf'<section id="art23-{code}">(.*?)</section>', html, re.S)
        assert section, f"missing Art. 23 item {code}"
        assert (title_vi if language == "vi" else title_en) in section.group(1)
        assert len(re.sub(r"<[^>]+>", "", section.group(1)).strip()) > len(title_vi) + 10
    assert len(ART23_ITEMS) == 15
    # the agreed terms are in it
    assert "500.000.000" in html and "Nghiệm thu pilot" in html and "3.50%" in html
    assert p.buyer_org.name in html and p.seller_org.name in html
    assert p.listing.title_vi in html or p.listing.title_en in html


def test_domestic_private_deal_needs_no_registration(p, flow):
    contract = services.deal_generate_contract(actor=p.researcher, deal=flow.agreed())
    assert not contract.registration_required
    assert 'id="registration"' not in contract.content_html
    assert 'id="revenue-share"' not in contract.content_html


def test_cross_border_deal_flags_registration_with_deadline_from_data(p, flow):
    p.buyer_org.country = "SG"
    p.buyer_org.save()
    RegistrationRule.objects.filter(code="cross_border").update(deadline_days=60)
    contract = services.deal_generate_contract(actor=p.researcher, deal=flow.agreed())
    assert contract.registration_required
    assert contract.registration["deadline_days"] == 60
    assert contract.registration["reasons"][0]["code"] == "out_of_vietnam"
    assert contract.registration["form"]["transferee"]["country"] == "SG"
    assert "trong vòng 60 ngày" in contract.content_html


def test_state_funded_result_flags_registration_and_revenue_shares(p, flow):
    p.listing.state_funded = True
    p.listing.save()
    RevenueShareRule.objects.filter(party="authors").update(
        note_vi="Tác giả hưởng ít nhất ba mươi phần trăm."
    )
    contract = services.deal_generate_contract(actor=p.researcher, deal=flow.agreed())
    assert contract.registration_required
    assert [r["code"] for r in contract.registration["reasons"]] == ["state_funded"]
    assert "trong vòng 90 ngày" in contract.content_html
    assert 'id="revenue-share"' in contract.content_html
    assert "Tác giả hưởng ít nhất ba mươi phần trăm." in contract.content_html
    assert "10.00%" in contract.content_html  # broker at most 10 %, from the migration's data
    # a rule staff switch off no longer applies
    RevenueShareRule.objects.update(active=False)
    RegistrationRule.objects.filter(code="state_funded").update(active=False)
    deal2 = p.listing.deals.get()
    again = services.deal_generate_contract(actor=p.staff, deal=deal2)
    assert not again.registration_required and 'id="revenue-share"' not in again.content_html


def test_new_terms_after_a_signature_void_it(p, flow):
    deal = flow.contract_ready()
    first = services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
    services.deal_propose_terms(actor=p.buyer, deal=deal, terms={**TERMS, "royalty_percent": "2"})
    first.refresh_from_db()
    assert deal.state == DealState.NEGOTIATING
    assert first.voided_at is not None and not first.is_valid
    assert Contract.objects.get(pk=first.contract_id).superseded_at is not None
    assert AuditLog.objects.filter(action="deal.contract_superseded", data__signatures_voided=1).exists()


def test_regenerating_the_contract_voids_signatures(p, flow):
    deal = flow.contract_ready()
    first = services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
    services.deal_generate_contract(actor=p.buyer, deal=deal, language="en")
    first.refresh_from_db()
    assert first.voided_at is not None


def test_signed_contract_is_immutable(p, flow):
    deal = flow.signed()
    assert deal.state == DealState.SIGNED
    with pytest.raises(WrongState):
        services.deal_propose_terms(actor=p.researcher, deal=deal, terms=TERMS)
    with pytest.raises(WrongState):
        services.deal_generate_contract(actor=p.researcher, deal=deal)
    with pytest.raises(WrongState):
        services.deal_sign(actor=p.buyer_signatory, deal=deal, password=PASSWORD)


def test_tampering_with_signed_terms_is_detected(p, flow):
    deal = flow.signed()
    contract = deal.contracts.get(superseded_at__isnull=True)
    assert services.contract_verify(contract)["ok"]
    # someone edits the agreed term sheet in the database behind the services' back
    TermSheet.objects.filter(pk=contract.term_sheet_id).update(upfront_fee_vnd=1)
    contract = Contract.objects.get(pk=contract.pk)
    report = services.contract_verify(contract)
    assert not report["ok"] and report["errors"] == ["terms"]
    assert all(not s["valid"] for s in report["signatures"])
    assert all(not s.is_valid for s in contract.signatures.all())
    with pytest.raises(WrongState):  # execution refuses a contract that no longer matches
        services.deal_start_execution(actor=p.researcher, deal=deal)


def test_tampering_with_contract_text_is_detected_and_blocks_signing(p, flow):
    deal = flow.contract_ready()
    contract = deal.contracts.get(superseded_at__isnull=True)
    Contract.objects.filter(pk=contract.pk).update(
        content_html=contract.content_html.replace("500.000.000", "5.000.000")
    )
    assert services.contract_verify(Contract.objects.get(pk=contract.pk))["errors"] == ["content"]
    with pytest.raises(WrongState, match="mã băm"):
        services.deal_sign(actor=p.seller_signatory, deal=deal, password=PASSWORD)
    assert AuditLog.objects.filter(action="deal.tamper_detected").exists()
