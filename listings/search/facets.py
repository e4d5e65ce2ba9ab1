"""Facet values with their labels, shared by every backend so facets read the same whatever answered.

A backend counts (value, count) pairs per facet; ``label_facet`` names and orders them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation

from .base import PRICE_BANDS, PRICE_BANDS_BY_CODE, FacetValue

#: At most this many values per facet (the most frequent first); None means all.
FACET_LIMITS: dict[str, int | None] = {"organization": 30, "province": 50, "field": 50}
#: Facets listed in their natural order rather than by count.
NATURAL_ORDER = {"trl", "price_band"}


def _choice_label(choices, value: str, language: str) -> str:
    try:
        label = choices(value).label
    except ValueError:
        return value
    with translation.override(language):
        return str(label)


def _labels(name: str, values: list[str], language: str) -> dict[str, str]:
    en = language == "en"
    if name == "field":
        from listings.models import ScienceField

        rows = ScienceField.objects.filter(code__in=values).values_list("code", "name", "name_en")
        return {code: (name_en if en and name_en else vi) for code, vi, name_en in rows}
    if name == "province":
        from exchange.core.models import Province

        rows = Province.objects.filter(code__in=values).values_list("code", "name", "name_en")
        return {code: (name_en if en and name_en else vi) for code, vi, name_en in rows}
    if name == "organization":
        from exchange.accounts.models import Organization

        rows = Organization.objects.filter(ref__in=values).values_list("ref", "name", "name_en")
        return {ref: (name_en if en and name_en else vi) for ref, vi, name_en in rows}
    if name == "origin":
        return origin_labels(values, language)
    if name == "trl":
        return {v: f"TRL {v}" for v in values}
    if name == "ip_type":
        from listings.models import IPType

        return {v: _choice_label(IPType, v, language) for v in values}
    if name == "transaction_type":
        from listings.models import TransactionType

        return {v: _choice_label(TransactionType, v, language) for v in values}
    if name == "price_band":
        return {
            v: (PRICE_BANDS_BY_CODE[v].label_en if en else PRICE_BANDS_BY_CODE[v].label_vi)
            for v in values
            if v in PRICE_BANDS_BY_CODE
        }
    return {}


def origin_labels(values: list[str], language: str = "vi") -> dict[str, str]:
    """Exchange names by origin code: ours from the settings, peers' from the regional network."""
    from django.apps import apps
    from django.conf import settings

    labels: dict[str, str] = {}
    if apps.is_installed("regional_network"):
        from regional_network.selectors import origin_names

        labels.update(origin_names(values, language))
    own = getattr(settings, "EXCHANGE_ORIGIN", "hcmc")
    if own in values:
        with translation.override(language):
            labels[own] = str(translation.gettext("Sàn giao dịch công nghệ TP.HCM"))
    return labels


def _natural_key(name: str, value: str):
    if name == "trl":
        return (int(value) if value.isdigit() else 99, value)
    if name == "price_band":
        order = [band.code for band in PRICE_BANDS]
        return (order.index(value) if value in order else 99, value)
    return (0, value)


def label_facet(name: str, counts: Iterable[tuple[object, int]], language: str = "vi") -> list[FacetValue]:
    """(value, count) pairs → ``FacetValue``s with labels, zero counts dropped, ordered, limited."""
    pairs = [(str(value), int(count)) for value, count in counts if value not in (None, "") and count]
    limit = FACET_LIMITS.get(name)
    if limit and name not in NATURAL_ORDER and len(pairs) > limit:
        # Only values that can make the cut need a label: the top ``limit`` counts and any tied with
        # the last of them (ties are ordered by label).
        cutoff = sorted((c for _, c in pairs), reverse=True)[limit - 1]
        pairs = [(v, c) for v, c in pairs if c >= cutoff]
    labels = _labels(name, [v for v, _ in pairs], language)
    values = [FacetValue(v, labels.get(v, v), c) for v, c in pairs]
    if name in NATURAL_ORDER:
        values.sort(key=lambda fv: _natural_key(name, fv.value))
    else:
        values.sort(key=lambda fv: (-fv.count, fv.label.lower(), fv.value))
    return values[:limit] if limit else values
