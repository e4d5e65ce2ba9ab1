"""Demo data for the valuation workspace: a few comparables and one saved valuation (with a version).

Called from ``cms.demo.seed`` after the accounts and listings exist; safe to run twice.
"""

from __future__ import annotations

from listings.models import ScienceField, TransactionType

from .models import Comparable, Valuation

COMPARABLES = [
    # title, field code, TRL, transaction type, value VND, year, source
    (
        "Li-xăng quy trình xử lý nước thải dệt nhuộm bằng màng sinh học",
        "2.07",
        6,
        TransactionType.EXCLUSIVE_LICENSE,
        1_800_000_000,
        2024,
        "Dữ liệu mẫu — hợp đồng chuyển giao đã công bố",
    ),
    (
        "Chuyển giao công nghệ lọc nước nhiễm mặn quy mô hộ gia đình",
        "2.07",
        7,
        TransactionType.NON_EXCLUSIVE_LICENSE,
        950_000_000,
        2023,
        "Dữ liệu mẫu — báo cáo của sở KH&CN",
    ),
    (
        "Góp vốn bằng sáng chế cảm biến chất lượng nước",
        "2.07",
        5,
        TransactionType.CAPITAL_CONTRIBUTION,
        2_500_000_000,
        2022,
        "Dữ liệu mẫu — thẩm định viên nhập",
    ),
    (
        "Chuyển nhượng quy trình sản xuất chế phẩm vi sinh xử lý bùn",
        "2.07",
        8,
        TransactionType.ASSIGNMENT,
        3_200_000_000,
        2025,
        "Dữ liệu mẫu — thẩm định viên nhập",
    ),
]

DEMO_TITLE = "Định giá mẫu: công nghệ xử lý nước thải"

DEMO_INPUTS = {
    "simulation": {"draws": 10_000},
    "relief_from_royalty": {
        "revenues": [
            {"min": 1_500_000_000, "mode": 2_000_000_000, "max": 2_600_000_000},
            {"min": 2_000_000_000, "mode": 2_800_000_000, "max": 3_600_000_000},
            {"min": 2_500_000_000, "mode": 3_500_000_000, "max": 4_800_000_000},
            {"min": 3_000_000_000, "mode": 4_000_000_000, "max": 5_500_000_000},
            {"min": 3_000_000_000, "mode": 4_200_000_000, "max": 6_000_000_000},
        ],
        "royalty_rate": {"min": 0.03, "mode": 0.05, "max": 0.07},
        "tax_rate": 0.2,
        "discount_rate": {"min": 0.14, "max": 0.2},
        "start_year": 2027,
        "protection_end_year": 2040,
    },
    "rnpv": {
        "cash_flows": [-800_000_000, 300_000_000, 900_000_000, 1_400_000_000, 1_600_000_000],
        "discount_rate": 0.15,
        "trl": 6,
    },
    "cost": {
        "costs": [
            {"year": 2021, "amount": 600_000_000},
            {"year": 2022, "amount": 900_000_000},
            {"year": 2023, "amount": 500_000_000},
        ],
        "valuation_year": 2026,
        "index_rate": 0.04,
        "margin": 0.15,
        "obsolescence": {"functional": 0.05, "technological": 0.1, "economic": 0.0},
    },
    "market": {"field_code": "2.07", "trl_min": 5, "trl_max": 8, "valuation_year": 2026, "index_rate": 0.04},
    "scoring": {
        "scores": {
            "legal": {"protection_status": 4, "scope": 3, "freedom_to_operate": 3},
            "technology": {"maturity": 3, "advantage": 4, "substitutes": 3},
            "market": {"market_size": 4, "demand": 3, "competition": 2},
            "finance": {"cost_to_market": 3, "profitability": 3, "funding": 2},
            "strategy": {"fit": 4, "team": 4, "licensing_potential": 3},
        }
    },
}


def seed(*, owner, appraiser=None, listing=None) -> str:
    """Add the demo comparables (entered by ``appraiser`` when given) and one saved valuation of ``owner``
    (on ``listing`` when it is theirs) with a first version. Returns a one-line summary."""
    from .services import valuation_create, valuation_save_version

    fields = {f.code: f for f in ScienceField.objects.filter(code__in={c[1] for c in COMPARABLES})}
    added = 0
    for title, code, trl, kind, value, year, source in COMPARABLES:
        _obj, created = Comparable.objects.get_or_create(
            title=title,
            is_demo=True,
            defaults={
                "field": fields.get(code),
                "trl": trl,
                "transaction_type": kind,
                "value_vnd": value,
                "year": year,
                "source_note": source,
                "entered_by": appraiser,
            },
        )
        added += created
    valuation = Valuation.objects.filter(owner=owner, title=DEMO_TITLE, is_demo=True).first()
    if valuation is None:
        valuation = valuation_create(
            actor=owner,
            title=DEMO_TITLE,
            methods=["relief_from_royalty", "rnpv", "cost", "market", "scoring"],
            listing=listing,
            inputs=DEMO_INPUTS,
            is_demo=True,
        )
        valuation_save_version(actor=owner, valuation=valuation, note="Phiên bản mẫu")
    return f"valuation demo: {added} comparables added, valuation #{valuation.pk}"
