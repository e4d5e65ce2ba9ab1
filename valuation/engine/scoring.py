"""Qualitative scoring in the spirit of the EPO's IPscore: factors scored 1–5 in five categories.

Each factor is scored 1 (very unfavourable) … 5 (very favourable). A category's score is the mean of
its scored factors; the overall score the mean of the category scores (categories weigh the same,
whatever their number of factors). Factors scored 4–5 are listed as opportunities, 1–2 as risks. The
result is a profile for discussion, not money: it has no VND value.
"""

from __future__ import annotations

from .errors import ValidationError

#: category → factor codes, with an English label (the web layer has the Vietnamese ones).
FACTORS: dict[str, dict[str, str]] = {
    "legal": {
        "protection_status": "Status and strength of protection (granted, pending, none)",
        "scope": "Breadth of the claims and geographical coverage",
        "freedom_to_operate": "Freedom to operate (no blocking rights of others)",
    },
    "technology": {
        "maturity": "Maturity (TRL) and proof in real conditions",
        "advantage": "Technical advantage over alternatives",
        "substitutes": "Difficulty of inventing around / few substitutes",
    },
    "market": {
        "market_size": "Size and growth of the addressable market",
        "demand": "Evidence of demand (pilots, letters of intent, inquiries)",
        "competition": "Competitive position",
    },
    "finance": {
        "cost_to_market": "Cost and time still needed to reach the market (5 = low)",
        "profitability": "Expected margins of products using it",
        "funding": "Access to funding for the remaining development",
    },
    "strategy": {
        "fit": "Fit with the owner's or licensee's strategy",
        "team": "Team and partners able to carry it",
        "licensing_potential": "Potential for licensing to several parties",
    },
}
CATEGORIES = tuple(FACTORS)


def score(scores: dict) -> dict:
    """``scores`` = ``{category: {factor: 1..5}}`` (unscored factors are left out of the means).

    Returns ``{"value": None, "details": {"overall", "categories": {cat: mean}, "opportunities": [...],
    "risks": [...], "scored": n}}``.
    """
    if not isinstance(scores, dict) or not scores:
        raise ValidationError("scores", "needs at least one scored factor", code="empty")
    categories: dict[str, float] = {}
    opportunities, risks = [], []
    count = 0
    for category, factors in scores.items():
        if category not in FACTORS:
            raise ValidationError(f"scores.{category}", "unknown category", code="unknown")
        if not isinstance(factors, dict):
            raise ValidationError(f"scores.{category}", "must be {factor: 1..5}", code="not_allowed")
        values = []
        for factor, value in factors.items():
            name = f"scores.{category}.{factor}"
            if factor not in FACTORS[category]:
                raise ValidationError(name, "unknown factor", code="unknown")
            if value in (None, ""):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise ValidationError(
                    name,
                    "must be a whole number from 1 to 5",
                    code="out_of_range",
                    params={"min": 1, "max": 5},
                )
            values.append(value)
            item = {"category": category, "factor": factor, "score": value}
            if value >= 4:
                opportunities.append(item)
            elif value <= 2:
                risks.append(item)
        if values:
            categories[category] = round(sum(values) / len(values), 2)
            count += len(values)
    if not count:
        raise ValidationError("scores", "needs at least one scored factor", code="empty")
    overall = round(sum(categories.values()) / len(categories), 2)
    return {
        "value": None,
        "details": {
            "formula": "category = mean of its factors (1–5); overall = mean of categories",
            "overall": overall,
            "categories": {c: categories.get(c) for c in CATEGORIES},
            "opportunities": opportunities,
            "risks": risks,
            "scored": count,
        },
    }
