"""Saved searches and their alerts.

A signed-in user keeps the filters of a list page (the GET parameters, validated by the page's own
filter form and stored as plain strings) under a name, with how they want to hear about new listings:
at once, in a daily summary, or not at all.

When a listing's public record changes (``register_public_change_hook``), a task checks the listing -
only if it is published - against the saved searches of its kind made before it was first published,
in batches. The check runs the saved search's query against that one listing in Python, on the same
folded document every search backend indexes (``search.text.build_document``): every word of the text
query must be in it (as for a full match of the search service - alerts do not fire on partial
matches) and every filter must hold with the search service's meaning (a top-level field takes its
sub-fields, a request's TRL is its wanted range, prices overlap). One ``SavedSearchHit`` row per
(saved search, listing) under a unique constraint means a listing is reported once, however often it
is re-published or edited. The listing's own people (its organisation's members, creator, co-authors)
are never alerted about it.

Daily searches collect hits; ``saved_search_digests_send`` (06:30 in Vietnam, before the 07:00 email
digest of ``exchange.core``) turns each search's new hits into one notification, which then reaches
the user by their own email preference (at once, in the digest, or in-app only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_periodic_task, db_task

from exchange.accounts import permissions as perms
from exchange.accounts.models import Membership, MembershipStatus
from exchange.core.services import audit_record, notify
from exchange.core.tasks import enqueue_on_commit, local_crontab

from .lifecycle import ListingState
from .models import Listing, ListingKind, SavedSearch, SavedSearchFrequency, SavedSearchHit
from .search.text import build_document, query_tokens, tokenize

logger = logging.getLogger(__name__)

#: The list page parameters a saved search keeps (sort and page are how one looks, not what one wants).
PARAM_KEYS = (
    "q",
    "field",
    "trl_min",
    "trl_max",
    "ip_type",
    "transaction_type",
    "province",
    "org",
    "price_min",
    "price_max",
)
MAX_PER_USER = 50
BATCH = 500
F = SavedSearchFrequency


def _form_class(kind: str):
    from .public_forms import ListingFilterForm, RequestFilterForm

    return ListingFilterForm if kind == ListingKind.OFFER else RequestFilterForm


def normalize_params(kind: str, params: Mapping[str, Any]) -> dict[str, str]:
    """The valid filters of ``params`` (a QueryDict or a dict) as strings, validated by the list page's
    form; invalid or unknown ones are dropped, as the list page drops them."""
    data = {k: (params.get(k) or "") for k in PARAM_KEYS if k in params}
    form = _form_class(kind)(data)
    valid = form.valid_data()
    out: dict[str, str] = {}
    for key in PARAM_KEYS:
        if key not in form.fields or key not in valid:
            continue
        value = valid[key]
        if value in (None, ""):
            continue
        if key == "province":
            value = value.code
        elif key == "org":
            value = value.ref
        value = str(value).strip()
        if value:
            out[key] = value
    return out


def run_url(saved_search: SavedSearch) -> str:
    """The list page showing the saved search now."""
    name = "listings:technology_list" if saved_search.kind == ListingKind.OFFER else "listings:request_list"
    query = urlencode(
        {**saved_search.params, **({"sort": "relevance"} if saved_search.params.get("q") else {})}
    )
    return reverse(name) + (f"?{query}" if query else "")


def _default_name(params: Mapping[str, str]) -> str:
    if params.get("q"):
        return params["q"][:120]
    return _("Tìm kiếm ngày %(date)s") % {"date": timezone.localtime().strftime("%d/%m/%Y")}


def _require_owner(user, saved_search: SavedSearch) -> None:
    if not perms.is_authenticated(user) or saved_search.user_id != user.pk:
        raise PermissionDenied(_("Đây không phải tìm kiếm đã lưu của bạn."))


def _frequency(value: str) -> str:
    if value not in F.values:
        raise ValidationError({"frequency": _("Tần suất thông báo không hợp lệ.")})
    return value


# --- services -----------------------------------------------------------------------------------------
def saved_search_create(
    *, user, kind: str, params: Mapping[str, Any], name: str = "", frequency: str = F.IMMEDIATE
) -> SavedSearch:
    if not perms.is_authenticated(user):
        raise PermissionDenied(_("Cần đăng nhập để lưu tìm kiếm."))
    if kind not in ListingKind.values:
        raise ValidationError({"kind": _("Loại tin không hợp lệ.")})
    frequency = _frequency(frequency)
    clean = normalize_params(kind, params)
    if not clean:
        raise ValidationError(_("Hãy nhập từ khóa hoặc chọn ít nhất một bộ lọc trước khi lưu tìm kiếm."))
    name = (name or "").strip()[:120] or _default_name(clean)
    with transaction.atomic():
        if SavedSearch.objects.filter(user=user).count() >= MAX_PER_USER:
            raise ValidationError(
                _("Bạn đã lưu tối đa %(n)s tìm kiếm; hãy xóa bớt trước khi lưu thêm.") % {"n": MAX_PER_USER}
            )
        saved = SavedSearch.objects.create(user=user, kind=kind, params=clean, name=name, frequency=frequency)
        audit_record(
            actor=user,
            action="saved_search.create",
            target=saved,
            after={"name": name, "kind": kind, "params": clean, "frequency": frequency},
        )
    return saved


def saved_search_update(
    *, user, saved_search: SavedSearch, name: str | None = None, frequency: str | None = None
) -> SavedSearch:
    """Rename and/or change how often the owner is told. Turning alerts off drops the waiting hits."""
    _require_owner(user, saved_search)
    with transaction.atomic():
        saved = SavedSearch.objects.select_for_update().get(pk=saved_search.pk)
        before = {"name": saved.name, "frequency": saved.frequency}
        if name is not None:
            name = name.strip()[:120]
            if not name:
                raise ValidationError({"name": _("Tên không được để trống.")})
            saved.name = name
        if frequency is not None:
            saved.frequency = _frequency(frequency)
        after = {"name": saved.name, "frequency": saved.frequency}
        if after == before:
            return saved
        saved.save(update_fields=["name", "frequency", "updated_at"])
        if saved.frequency == F.OFF:
            saved.hits.filter(notified_at__isnull=True).update(notified_at=timezone.now())
        audit_record(actor=user, action="saved_search.update", target=saved, before=before, after=after)
    saved_search.name, saved_search.frequency = saved.name, saved.frequency
    return saved


def saved_search_delete(*, user, saved_search: SavedSearch) -> None:
    _require_owner(user, saved_search)
    with transaction.atomic():
        audit_record(
            actor=user,
            action="saved_search.delete",
            target=saved_search,
            before={"name": saved_search.name, "params": saved_search.params},
        )
        saved_search.delete()


# --- selectors ----------------------------------------------------------------------------------------
def saved_searches_of(user) -> QuerySet[SavedSearch]:
    if not perms.is_authenticated(user):
        return SavedSearch.objects.none()
    return (
        SavedSearch.objects.filter(user=user).annotate(hit_count=Count("hits")).order_by("-created_at", "-id")
    )


# --- does a listing match a saved search? -------------------------------------------------------------
def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _overlaps(low, high, q_low, q_high) -> bool:
    """The search service's price rule: a listing with no price matches no price filter."""
    if low is None and high is None:
        return False
    if q_low is not None and high is not None and high < q_low:
        return False
    return not (q_high is not None and low is not None and low > q_high)


class ListingFacts:
    """What a listing is matched on, computed once per listing (its folded words, codes, IP types)."""

    def __init__(self, listing: Listing):
        self.listing = listing
        document = build_document(listing)
        self.tokens = set(tokenize(" ".join(document.columns().values())))
        self.field_codes = {listing.field.code} | (
            {listing.field.parent.code} if listing.field.parent_id else set()
        )
        self.ip_types = {ip.type for ip in listing.ip_rights.all()}
        self.transaction_types = set(listing.transaction_types or [])
        self.province = listing.province.code if listing.province_id else None
        self.org = None if listing.anonymous else listing.organization.ref

    def matches(self, params: Mapping[str, str]) -> bool:
        listing = self.listing
        words = query_tokens(params.get("q", ""))
        if params.get("q") and (not words or not set(words) <= self.tokens):
            return False
        if params.get("field") and params["field"] not in self.field_codes:
            return False
        low, high = _int(params.get("trl_min")), _int(params.get("trl_max"))
        if low is not None or high is not None:
            low, high = low if low is not None else 1, high if high is not None else 9
            if listing.trl is not None:
                if not low <= listing.trl <= high:
                    return False
            else:
                w_low, w_high = listing.trl_wanted_min, listing.trl_wanted_max
                if w_low is None and w_high is None:
                    return False
                if (w_low is not None and w_low > high) or (w_high is not None and w_high < low):
                    return False
        if params.get("ip_type") and params["ip_type"] not in self.ip_types:
            return False
        if params.get("transaction_type") and params["transaction_type"] not in self.transaction_types:
            return False
        if params.get("province") and params["province"] != self.province:
            return False
        if params.get("org") and params["org"] != self.org:
            return False
        p_low, p_high = _int(params.get("price_min")), _int(params.get("price_max"))
        if p_low is None and p_high is None:
            return True
        return _overlaps(listing.price_min, listing.price_max, p_low, p_high)


def _listing_url(listing: Listing, language: str) -> str:
    with translation.override(language or "vi"):
        return listing.get_absolute_url()


def saved_search_alerts_for_listing(*, listing_id: int) -> int:
    """Record the hits of a just-published listing and alert the immediate searches; returns how many
    saved searches matched for the first time. Safe to run twice: the second run finds every hit made."""
    listing = (
        Listing.objects.select_related("field", "field__parent", "organization", "province")
        .prefetch_related("ip_rights")
        .filter(pk=listing_id, state=ListingState.PUBLISHED)
        .first()
    )
    if listing is None or listing.published_at is None:
        return 0
    facts = ListingFacts(listing)
    own_people = Q(
        Exists(
            Membership.objects.filter(
                user_id=OuterRef("user_id"),
                organization_id=listing.organization_id,
                status=MembershipStatus.ACTIVE,
            )
        )
    ) | Q(user_id__in=listing.authors.values("pk"))
    if listing.created_by_id:
        own_people |= Q(user_id=listing.created_by_id)
    candidates = (
        SavedSearch.objects.filter(
            kind=listing.kind,
            frequency__in=[F.IMMEDIATE, F.DAILY],
            user__is_active=True,
            created_at__lte=listing.published_at,
        )
        .exclude(own_people)
        .exclude(hits__listing_id=listing.pk)
        .select_related("user")
        .order_by("id")
    )
    found = 0
    last = 0
    while True:
        batch = list(candidates.filter(id__gt=last)[:BATCH])
        if not batch:
            return found
        last = batch[-1].pk
        matched = [s for s in batch if facts.matches(s.params or {})]
        if matched:
            found += _record_hits(listing, matched)


def _record_hits(listing: Listing, matched: list[SavedSearch]) -> int:
    now = timezone.now()
    with transaction.atomic():
        SavedSearchHit.objects.bulk_create(
            [SavedSearchHit(saved_search=s, listing=listing) for s in matched], ignore_conflicts=True
        )
        immediate = {s.pk: s for s in matched if s.frequency == F.IMMEDIATE}
        # Claim the hits still un-notified: a concurrent run that made them first will have claimed them.
        claim = list(
            SavedSearchHit.objects.filter(
                listing=listing, saved_search_id__in=list(immediate), notified_at__isnull=True
            ).values_list("pk", "saved_search_id")
        )
        SavedSearchHit.objects.filter(pk__in=[pk for pk, _s in claim], notified_at__isnull=True).update(
            notified_at=now
        )
        for _pk, saved_id in claim:
            saved = immediate[saved_id]
            user = saved.user
            notify(
                recipient=user,
                kind="saved_search_match",
                context={
                    "name": saved.name,
                    "title": listing.t("title", user.language or "vi") or listing.ref,
                },
                url=_listing_url(listing, user.language),
                target=listing,
            )
    return len(matched)


def saved_search_digests_send() -> int:
    """One notification per daily saved search with new hits; returns how many were sent."""
    sent = 0
    last = 0
    pending = SavedSearchHit.objects.filter(notified_at__isnull=True)
    while True:
        ids = list(
            SavedSearch.objects.filter(id__gt=last)
            .filter(Exists(pending.filter(saved_search_id=OuterRef("pk"))))
            .order_by("id")
            .values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            return sent
        last = ids[-1]
        for saved_id in ids:
            sent += _send_digest(saved_id)


def _send_digest(saved_id: int) -> int:
    now = timezone.now()
    with transaction.atomic():
        saved = (
            SavedSearch.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=saved_id)
            .first()
        )
        if saved is None:
            return 0
        count = saved.hits.filter(notified_at__isnull=True).update(notified_at=now)
        if not count or saved.frequency == F.OFF or not saved.user.is_active:
            return 0
        with translation.override(saved.user.language or "vi"):
            url = run_url(saved)
        notify(
            recipient=saved.user,
            kind="saved_search_digest",
            context={"name": saved.name, "count": count},
            url=url,
            target=saved,
        )
    return 1


# --- tasks and the hook ---------------------------------------------------------------------------------
@db_task(retries=3, retry_delay=60)
def saved_search_alerts(listing_id: int) -> int:
    return saved_search_alerts_for_listing(listing_id=listing_id)


@db_periodic_task(local_crontab(hour="6", minute="30"))
def saved_search_daily_digests() -> int:
    return saved_search_digests_send()


def on_public_change(listing_id: int) -> None:
    """The ``listings.services`` public-change hook: check the listing against the saved searches."""
    enqueue_on_commit(saved_search_alerts, listing_id)


def connect() -> None:
    from .services import register_public_change_hook

    register_public_change_hook(on_public_change)
