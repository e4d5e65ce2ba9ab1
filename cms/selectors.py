"""Reads for the public site's pages and blocks."""

from __future__ import annotations

from django.db.models import Count, Q

from .content_language import with_content_locale
from .models import EventPage, EventRegistration, RegistrationStatus


def featured_listings(*, ids: list[int], kind: str | None, field_code: str | None, limit: int) -> list:
    """Editors' picks in their order (published only); without picks, the latest published listings
    matching kind/field (a field code also takes its sub-fields)."""
    from listings import selectors

    limit = max(1, min(int(limit or 6), 12))
    qs = selectors.listings_published(kind=kind or None)
    if ids:
        by_pk = {listing.pk: listing for listing in qs.filter(pk__in=ids[:limit])}
        return [by_pk[pk] for pk in ids[:limit] if pk in by_pk]
    if field_code:
        qs = qs.filter(Q(field__code=field_code) | Q(field__code__startswith=f"{field_code}."))
    return list(qs[:limit])


def event_counts(event: EventPage) -> dict[str, int]:
    """Confirmed and waiting registrations of an event (all its translations share one list)."""
    canonical = event.canonical()
    return EventRegistration.objects.filter(event=canonical).aggregate(
        confirmed=Count("id", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waiting=Count("id", filter=Q(status=RegistrationStatus.WAITLISTED)),
    )


def news_articles(index, *, limit: int | None = None):
    from .models import NewsArticlePage

    qs = with_content_locale(
        NewsArticlePage.objects.child_of(index)
        .live()
        .public()
        .defer_streamfields()
        .select_related("image")
        .order_by("-date", "-first_published_at")
    )
    return qs[:limit] if limit else qs


def events_upcoming(index, *, now):
    events = EventPage.objects.child_of(index).live().public().filter(end__gte=now)
    return with_content_locale(events).order_by("start")


def events_past(index, *, now):
    events = EventPage.objects.child_of(index).live().public().filter(end__lt=now)
    return with_content_locale(events).order_by("-start")
