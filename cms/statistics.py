"""Selectors for the exchange's figures: the staff dashboard, the public summary and the yearly report.

Every figure is an aggregate computed by the database (COUNT/SUM/AVG with GROUP BY); no table is loaded
into Python. A period is a pair of local dates, both included; "listings" are ours (origin = this
exchange) and past the draft stage, federated listings are counted apart by their exchange.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

PUBLIC_CACHE_SECONDS = 600
COUNTERS_CACHE_SECONDS = 300
TOP_ORGANIZATIONS = 10


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @property
    def start_dt(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_dt(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start_dt, f"{field}__lt": self.end_dt})

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def months(self) -> list[dt.date]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return months


def default_period(today: dt.date | None = None) -> Period:
    """The twelve months up to (and including) the report date."""
    today = today or timezone.localdate()
    try:
        start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28) + dt.timedelta(days=1)
    return Period(start=start, end=today)


def period_from_params(params) -> Period:
    """``?start=YYYY-MM-DD&end=YYYY-MM-DD`` (or ``?year=2026``); anything invalid gives the default."""
    default = default_period()
    year = (params.get("year") or "").strip()
    if year.isdigit() and 2000 <= int(year) <= 2100:
        return Period(dt.date(int(year), 1, 1), dt.date(int(year), 12, 31))
    try:
        start = dt.date.fromisoformat(params.get("start") or "") if params.get("start") else default.start
        end = dt.date.fromisoformat(params.get("end") or "") if params.get("end") else default.end
    except ValueError:
        return default
    if start > end or (end - start).days > 366 * 10:
        return default
    return Period(start=start, end=end)


def _origin() -> str:
    return getattr(settings, "EXCHANGE_ORIGIN", "hcmc")


def _listings(period: Period):
    from listings.models import Listing

    return Listing.objects.filter(period.q("created_at"), origin=_origin()).exclude(state="draft")


def _rows(qs, label: str, value: str = "n") -> list[tuple[str, int]]:
    return [(str(row[label] if row[label] is not None else "—"), row[value] or 0) for row in qs]


# --- Listings -----------------------------------------------------------------------------------------
def listing_totals(period: Period) -> dict[str, int]:
    from listings.models import Listing

    totals = _listings(period).aggregate(
        offers=Count("id", filter=Q(kind="offer")),
        requests=Count("id", filter=Q(kind="request")),
        organizations=Count("organization", distinct=True),
    )
    totals["published_in_period"] = Listing.objects.filter(period.q("published_at"), origin=_origin()).count()
    return totals


def listings_by_field(period: Period) -> list[tuple[str, int]]:
    qs = (
        _listings(period)
        .values("field__code", "field__name")
        .annotate(n=Count("id"))
        .order_by("-n", "field__code")
    )
    return [(f"{r['field__code']} {r['field__name']}", r["n"]) for r in qs]


def listings_by_trl(period: Period) -> list[tuple[str, int]]:
    qs = _listings(period).filter(kind="offer").values("trl").annotate(n=Count("id")).order_by("trl")
    return [(f"TRL {r['trl']}" if r["trl"] else "—", r["n"]) for r in qs]


def listings_by_province(period: Period) -> list[tuple[str, int]]:
    qs = _listings(period).values("province__name").annotate(n=Count("id")).order_by("-n", "province__name")
    return _rows(qs, "province__name")


def listings_by_organization(period: Period, limit: int = TOP_ORGANIZATIONS) -> list[tuple[str, int]]:
    qs = (
        _listings(period)
        .filter(anonymous=False)
        .values("organization__name")
        .annotate(n=Count("id"))
        .order_by("-n", "organization__name")[:limit]
    )
    return _rows(qs, "organization__name")


def listings_by_state(period: Period) -> list[tuple[str, int]]:
    from listings.lifecycle import ListingState

    labels = dict(ListingState.choices)
    qs = _listings(period).values("state").annotate(n=Count("id")).order_by("state")
    return [(str(labels.get(r["state"], r["state"])), r["n"]) for r in qs]


def listings_by_month(period: Period) -> list[tuple[dt.date, int, int]]:
    """(month, offers, requests) for every month of the period, months without listings included."""
    qs = (
        _listings(period)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(offers=Count("id", filter=Q(kind="offer")), requests=Count("id", filter=Q(kind="request")))
        .order_by("month")
    )
    found = {}
    for row in qs:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        found[month.replace(day=1)] = (row["offers"], row["requests"])
    return [(m, *found.get(m, (0, 0))) for m in period.months()]


# --- Deals --------------------------------------------------------------------------------------------
FUNNEL_STAGES = ["inquiry", "accepted", "nda", "negotiating", "signed", "completed"]
_AFTER_ACCEPT = [
    "accepted",
    "nda_pending",
    "negotiating",
    "terms_agreed",
    "contract_ready",
    "signed",
    "executing",
    "completed",
]
_AFTER_NEGOTIATING = ["negotiating", "terms_agreed", "contract_ready", "signed", "executing", "completed"]


def deal_summary(period: Period) -> dict:
    """Inquiries opened in the period and how far they went (the funnel), NDAs accepted, contracts
    signed in the period with their value and the days from inquiry to signature."""
    from exchange.deals.lifecycle import DealState
    from exchange.deals.models import Deal, NdaAcceptance

    opened = Deal.objects.filter(period.q("created_at"))
    funnel = opened.aggregate(
        inquiry=Count("id"),
        accepted=Count("id", filter=Q(state__in=_AFTER_ACCEPT) | Q(signed_at__isnull=False)),
        nda=Count("id", filter=Q(nda_acceptances__isnull=False), distinct=True),
        negotiating=Count("id", filter=Q(state__in=_AFTER_NEGOTIATING) | Q(signed_at__isnull=False)),
        signed=Count("id", filter=Q(signed_at__isnull=False)),
        completed=Count("id", filter=Q(state=DealState.COMPLETED)),
    )
    labels = dict(DealState.choices)
    by_stage = [
        (str(labels.get(r["state"], r["state"])), r["n"])
        for r in opened.values("state").annotate(n=Count("id")).order_by("state")
    ]
    signed = Deal.objects.filter(period.q("signed_at")).aggregate(
        count=Count("id"),
        value=Sum("value_vnd"),
        avg_days=Avg(ExpressionWrapper(F("signed_at") - F("created_at"), output_field=DurationField())),
    )
    avg = signed["avg_days"]
    ndas = NdaAcceptance.objects.filter(period.q("accepted_at")).aggregate(
        acceptances=Count("id"), deals=Count("deal", distinct=True)
    )
    return {
        "inquiries": funnel["inquiry"],
        "funnel": [(stage, funnel[stage]) for stage in FUNNEL_STAGES],
        "by_stage": by_stage,
        "nda_acceptances": ndas["acceptances"],
        "nda_deals": ndas["deals"],
        "contracts_signed": signed["count"],
        "value_vnd": int(signed["value"] or 0),
        "avg_days_to_contract": round(avg.total_seconds() / 86400, 1) if avg is not None else None,
    }


# --- Services, events, network -----------------------------------------------------------------------
def service_summary(period: Period) -> dict:
    from exchange.support.models import ServiceKind, ServiceRequest

    labels = dict(ServiceKind.choices)
    requested = ServiceRequest.objects.filter(period.q("created_at")).count()
    delivered = [
        (str(labels.get(r["kind"], r["kind"])), r["n"])
        for r in ServiceRequest.objects.filter(period.q("delivered_at"))
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("-n", "kind")
    ]
    return {"requested": requested, "delivered": sum(n for _, n in delivered), "delivered_by_kind": delivered}


def event_summary(period: Period) -> dict:
    """Events (each counted once, in its source language) held in the period and their registrations."""
    from .models import EventPage, EventRegistration, RegistrationStatus

    events = EventPage.objects.live().filter(period.q("start"))
    registrations = EventRegistration.objects.filter(event__in=events.values("pk")).aggregate(
        confirmed=Count("id", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waitlisted=Count("id", filter=Q(status=RegistrationStatus.WAITLISTED)),
        cancelled=Count("id", filter=Q(status=RegistrationStatus.CANCELLED)),
    )
    per_event = [
        (r["title"], r["n"])
        for r in events.filter(registrations__isnull=False)
        .values("title")
        .annotate(n=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)))
        .order_by("-n", "title")[:20]
    ]
    return {
        "events": events.values("translation_key").distinct().count(),
        **registrations,
        "per_event": per_event,
    }


def federated_by_exchange(period: Period | None = None) -> list[tuple[str, int]]:
    """Published listings received from each peer exchange (current stock), named after the peer."""
    from listings.models import Listing
    from regional_network.models import Peer

    rows = list(
        Listing.objects.filter(state="published")
        .exclude(origin=_origin())
        .values("origin")
        .annotate(n=Count("id"))
        .order_by("-n", "origin")
    )
    names = dict(Peer.objects.filter(origin__in=[r["origin"] for r in rows]).values_list("origin", "name"))
    return [(names.get(r["origin"], r["origin"]), r["n"]) for r in rows]


# --- Bundles ------------------------------------------------------------------------------------------
def summary(period: Period) -> dict:
    return {
        "period": period,
        "listings": listing_totals(period),
        "by_field": listings_by_field(period),
        "by_trl": listings_by_trl(period),
        "by_province": listings_by_province(period),
        "by_organization": listings_by_organization(period),
        "by_state": listings_by_state(period),
        "by_month": listings_by_month(period),
        "deals": deal_summary(period),
        "services": service_summary(period),
        "events": event_summary(period),
        "federated": federated_by_exchange(period),
    }


def public_summary(period: Period) -> dict:
    """The same figures for the public page, cached for ten minutes per period."""
    return cache.get_or_set(f"cms:stats:public:{period.key}", lambda: summary(period), PUBLIC_CACHE_SECONDS)


def live_counters() -> dict[str, int]:
    """Counters for the statistics block on pages (cached for five minutes)."""

    def compute() -> dict[str, int]:
        from exchange.deals.models import Deal
        from exchange.support.models import ServiceRequest
        from listings.selectors import listing_counters

        from .models import EventPage

        counts = dict(listing_counters())
        counts.update(
            Deal.objects.aggregate(
                deals=Count("id"), contracts=Count("id", filter=Q(signed_at__isnull=False))
            )
        )
        counts["services"] = ServiceRequest.objects.filter(delivered_at__isnull=False).count()
        counts["events"] = (
            EventPage.objects.live()
            .filter(end__lt=timezone.now())
            .values("translation_key")
            .distinct()
            .count()
        )
        return counts

    return cache.get_or_set("cms:stats:counters", compute, COUNTERS_CACHE_SECONDS)
