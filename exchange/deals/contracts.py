"""Contract generation: the Art. 23 items rendered from the agreed terms, and the Art. 31 registration check.

Which transfers must be registered follows the law (into/out of Vietnam, state-funded results); the
deadline, its legal source and the revenue shares are rows (``RegistrationRule``, ``RevenueShareRule``)
staff can update when the law changes.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Deal, RegistrationRule, RevenueShareRule, TermSheet

CONTRACT_LANGUAGES = ("vi", "en")

#: The items Art. 23 of the Law on Technology Transfer requires; each is one numbered article (id).
ART23_ITEMS = (
    ("technology_name", "Tên công nghệ được chuyển giao", "Name of the transferred technology"),
    (
        "subject_matter",
        "Đối tượng công nghệ, sản phẩm và tiêu chuẩn",
        "Subject matter, products and standards",
    ),
    ("rights", "Chuyển nhượng quyền sở hữu hoặc chuyển giao quyền sử dụng", "Ownership or right to use"),
    ("method", "Phương thức chuyển giao công nghệ", "Method of transfer"),
    ("obligations", "Quyền và nghĩa vụ của các bên", "Rights and obligations of the parties"),
    ("price", "Giá, phương thức thanh toán", "Price and payment method"),
    ("term", "Thời hạn, hiệu lực của hợp đồng", "Term and validity"),
    ("definitions", "Khái niệm, thuật ngữ", "Definitions"),
    ("schedule", "Kế hoạch, tiến độ, địa điểm chuyển giao", "Schedule and place of transfer"),
    ("warranty", "Trách nhiệm bảo hành công nghệ", "Warranty"),
    ("penalties", "Phạt vi phạm hợp đồng", "Penalties"),
    ("damages", "Bồi thường thiệt hại", "Damages"),
    ("governing_law", "Pháp luật áp dụng", "Governing law"),
    ("disputes", "Cơ quan giải quyết tranh chấp", "Dispute resolution body"),
    ("other", "Các thỏa thuận khác", "Other terms"),
)


def registration_assessment(deal: Deal) -> dict[str, Any]:
    """Whether the transfer must be registered (Art. 31), why, by when, and the data for the form."""
    rules = {r.code: r for r in RegistrationRule.objects.filter(active=True)}
    buyer, seller = deal.buyer_organization, deal.seller_organization
    reasons = []
    if buyer.country != seller.country and "VN" in {buyer.country, seller.country}:
        code = "into_vietnam" if seller.country != "VN" else "out_of_vietnam"
        rule = rules.get("cross_border")
        if rule:
            reasons.append({"code": code, "rule": rule})
    if deal.listing.state_funded and "state_funded" in rules:
        reasons.append({"code": "state_funded", "rule": rules["state_funded"]})
    deadline = min((r["rule"].deadline_days for r in reasons), default=None)
    return {
        "required": bool(reasons),
        "reasons": [
            {
                "code": r["code"],
                "description_vi": r["rule"].description_vi,
                "description_en": r["rule"].description_en,
                "source": r["rule"].source,
                "deadline_days": r["rule"].deadline_days,
            }
            for r in reasons
        ],
        "deadline_days": deadline,
    }


def registration_form_data(deal: Deal, term_sheet: TermSheet) -> dict[str, Any]:
    """The facts the registration dossier asks for (parties, technology, price, term)."""

    def party(org):
        return {
            "name": org.name,
            "name_en": org.name_en,
            "country": org.country,
            "tax_code": org.tax_code,
            "address": org.address,
        }

    return {
        "transferor": party(deal.seller_organization),
        "transferee": party(deal.buyer_organization),
        "technology": deal.listing.title,
        "listing_ref": f"{deal.listing.origin}:{deal.listing.ref}",
        "state_funded": deal.listing.state_funded,
        "transaction_type": term_sheet.transaction_type,
        "term_months": term_sheet.term_months,
        "upfront_fee_vnd": term_sheet.upfront_fee_vnd,
        "milestones_total_vnd": term_sheet.milestones_total_vnd,
        "royalty_percent": f"{term_sheet.royalty_percent:.2f}",
    }


def revenue_share_rules(deal: Deal):
    """The shares that apply to revenue from a state-funded result (none otherwise)."""
    if not deal.listing.state_funded:
        return []
    today = timezone.localdate()
    rules = RevenueShareRule.objects.filter(active=True)
    return [
        r
        for r in rules
        if (r.valid_from is None or r.valid_from <= today) and (r.valid_to is None or r.valid_to >= today)
    ]


def render_contract(*, deal: Deal, term_sheet: TermSheet, language: str) -> tuple[str, dict[str, Any]]:
    """The contract HTML in ``language`` and the registration data stored with it."""
    registration = registration_assessment(deal)
    registration["form"] = registration_form_data(deal, term_sheet)
    context = {
        "deal": deal,
        "listing": deal.listing,
        "terms": term_sheet,
        "buyer": deal.buyer_organization,
        "seller": deal.seller_organization,
        "ip_rights": list(deal.listing.ip_rights.all()),
        "registration": registration,
        "revenue_shares": revenue_share_rules(deal),
        "items": {code: (vi, en) for code, vi, en in ART23_ITEMS},
        "generated_on": timezone.localdate(),
    }
    with translation.override(language):
        html = render_to_string(f"deals/contract/contract.{language}.html", context)
    return html, registration
