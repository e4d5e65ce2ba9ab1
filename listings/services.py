"""Every write to a listing: creation, edits, each lifecycle transition, revisions, media, expiry.

Services are keyword-only, take the acting user (``actor``; ``None`` means the scheduler), lock the
listing with ``select_for_update`` inside one transaction, check the transition against
``listings.lifecycle`` and the actor against ``listings.permissions``, write an audit row with the
state before and after, and notify the people concerned. Refusals raise
``lifecycle.WrongState`` (a ``ValidationError``: not possible from this state) or
``lifecycle.NotPermitted`` (a ``PermissionDenied``: not your listing / not your role); both are
``lifecycle.TransitionNotAllowed``. The same services back the Wagtail moderation views.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import Membership, MembershipRole, MembershipStatus, Organization, PlatformRole
from exchange.core.services import audit_record, notify

from . import permissions as lperms
from .lifecycle import (
    EDITABLE_STATES,
    PUBLIC_STATES,
    REVISABLE_STATES,
    ListingState,
    NotPermitted,
    TransitionNotAllowed,
    WrongState,
    get_transition,
    transitions_for,
)
from .models import (
    Listing,
    ListingAttachment,
    ListingExpiryReminder,
    ListingImage,
    ListingKind,
    ListingRevision,
    RevisionStage,
    RevisionState,
)
from .snapshots import apply_snapshot, diff_snapshots, listing_snapshot, normalize, save_ip_rights
from .validators import IMAGE_EXTENSIONS, reencode_image, safe_filename, validate_attachment, validate_image

S = ListingState
BATCH_SIZE = 500

# --- hooks run after commit when a listing's public record changes (search index, regional feed) ----
PublicChangeHook = Callable[[int], Any]
_PUBLIC_CHANGE_HOOKS: list[PublicChangeHook] = []


def register_public_change_hook(hook: PublicChangeHook) -> PublicChangeHook:
    """``hook(listing_id)`` runs after commit whenever ``version`` is bumped (e.g. queue a reindex)."""
    if hook not in _PUBLIC_CHANGE_HOOKS:
        _PUBLIC_CHANGE_HOOKS.append(hook)
    return hook


def _bump_version(listing: Listing, before_state: str) -> None:
    """Every change to what the public (and peer exchanges) see raises the version by one."""
    if before_state in PUBLIC_STATES or listing.state in PUBLIC_STATES:
        listing.version += 1
        listing_id = listing.pk
        for hook in list(_PUBLIC_CHANGE_HOOKS):
            transaction.on_commit(lambda hook=hook: hook(listing_id))


# --- people to notify ---------------------------------------------------------------------------
def _owners(listing: Listing, *, exclude=None) -> list:
    """The creator and the co-authors (the people who answer for the listing)."""
    people = {}
    if listing.created_by_id and listing.created_by.is_active:
        people[listing.created_by_id] = listing.created_by
    for user in listing.authors.filter(is_active=True):
        people[user.pk] = user
    if exclude is not None:
        people.pop(exclude.pk, None)
    return list(people.values())


def _tto_managers(organization_id: int, *, exclude=None) -> list:
    users = get_user_model().objects.filter(
        is_active=True,
        memberships__organization_id=organization_id,
        memberships__role=MembershipRole.TTO_MANAGER,
        memberships__status=MembershipStatus.ACTIVE,
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.distinct())


def _moderators(*, exclude=None) -> list:
    users = get_user_model().objects.filter(
        is_active=True, roles__code__in=[PlatformRole.MODERATOR, PlatformRole.STAFF]
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.distinct())


def _has_tto_manager(organization_id: int) -> bool:
    return Membership.objects.filter(
        organization_id=organization_id, role=MembershipRole.TTO_MANAGER, status=MembershipStatus.ACTIVE
    ).exists()


def _local_date(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def _context(listing: Listing, actor=None, **extra) -> dict[str, Any]:
    return {
        "title": listing.title or listing.ref,
        "ref": listing.ref,
        "actor": str(actor) if actor is not None else _("Hệ thống"),
        "expires_on": _local_date(listing.expires_at),
        "reason": "",
        **extra,
    }


def _notify_all(recipients: Iterable, kind: str, listing: Listing, context: dict[str, Any], target=None):
    for user in recipients:
        notify(recipient=user, kind=kind, context=context, target=target or listing)


# --- checks -------------------------------------------------------------------------------------
def _lock(listing: Listing | int) -> Listing:
    """Lock the row for this transaction; a passed instance is refreshed in place (callers see the change)."""
    queryset = Listing.objects.select_for_update(of=("self",)).select_related(
        "organization", "created_by", "field", "province"
    )
    if isinstance(listing, Listing):
        listing.refresh_from_db(from_queryset=queryset)
        return listing
    return queryset.get(pk=listing)


def _check(action: str, listing: Listing, actor, *, target: str | None = None):
    """Refuse with ``NotPermitted`` (wrong person) before ``WrongState`` (wrong moment)."""
    rows = transitions_for(action, listing.state)
    allowed_kinds = set().union(*(r.who for r in rows)) if rows else None
    if allowed_kinds is None:
        allowed_kinds = set().union(*(t.who for t in transitions_for_any_state(action)))
    kinds = lperms.actor_kinds(actor, listing)
    if not kinds & allowed_kinds:
        raise NotPermitted(
            _("Bạn không có quyền %(action)s tin này.") % {"action": _action_label(action)},
            action=action,
            state=listing.state,
        )
    return get_transition(action, listing.state, target)


def transitions_for_any_state(action: str):
    from .lifecycle import TRANSITIONS

    return [t for t in TRANSITIONS if t.action == action]


def _action_label(action: str) -> str:
    from .lifecycle import ACTION_LABELS

    return str(ACTION_LABELS.get(action, action))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do.")}, code="reason_required")
    return reason


def _require_owner(actor, listing: Listing, action: str) -> None:
    if not lperms.is_owner(actor, listing):
        raise NotPermitted(
            _("Bạn không có quyền %(action)s tin này.") % {"action": action},
            action=action,
            state=listing.state,
        )


def _transition(
    *,
    actor,
    listing: Listing,
    action: str,
    target: str,
    data: dict[str, Any] | None = None,
    update_fields: Iterable[str] = (),
) -> tuple[str, int]:
    """Move the (locked) listing to ``target``, bump the version, save, audit.

    Returns the old state and version."""
    before_state, before_version = listing.state, listing.version
    listing.state = target
    _bump_version(listing, before_state)
    listing.save(update_fields=["state", "version", "updated_at", *update_fields])
    audit_record(
        actor=actor,
        action=f"listing.{action}",
        target=listing,
        before={"state": before_state, "version": before_version},
        after={"state": listing.state, "version": listing.version},
        data=data,
    )
    return before_state, before_version


def _validate_complete(listing: Listing, action: str) -> None:
    """What a listing needs before anyone reviews it (drafts may be incomplete)."""
    try:
        listing.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise WrongState(exc.message_dict, action=action, state=listing.state) from exc
    if not listing.transaction_types:
        raise WrongState(
            {"transaction_types": [_("Chọn ít nhất một hình thức giao dịch.")]},
            action=action,
            state=listing.state,
        )


# --- creation and edits -------------------------------------------------------------------------
def _new_ref(organization: Organization) -> str:
    return f"{organization.ref}-{timezone.localdate():%Y}-{uuid.uuid4().hex[:6]}"


@transaction.atomic
def listing_create(
    *,
    actor,
    kind: str,
    organization: Organization,
    data: Mapping[str, Any],
    ref: str | None = None,
    authors: Iterable = (),
) -> Listing:
    """Create a draft for an organisation the actor belongs to (staff may create for any)."""
    if not (perms.is_member(actor, organization) or perms.is_staff(actor)):
        raise NotPermitted(
            _("Bạn phải là thành viên của tổ chức để đăng tin cho tổ chức đó."), action="create"
        )
    if kind not in ListingKind.values:
        raise ValidationError({"kind": _("Loại tin không hợp lệ.")})
    listing = Listing(
        kind=kind,
        organization=organization,
        created_by=actor,
        ref=(ref or "").strip() or _new_ref(organization),
        state=S.DRAFT,
    )
    ip = apply_snapshot(listing, data)
    listing.full_clean()
    listing.save()
    authors = list(authors)
    if authors:
        listing.authors.set(authors)
    save_ip_rights(listing, ip)
    audit_record(
        actor=actor,
        action="listing.create",
        target=listing,
        after={"state": listing.state, "version": listing.version},
        data={"ref": listing.ref, "kind": kind},
    )
    return listing


@transaction.atomic
def listing_update(*, actor, listing: Listing, data: Mapping[str, Any]) -> Listing | ListingRevision:
    """Edit a listing. Drafts and unpublished listings change at once (and the listing is returned);
    a published listing stays as it is and a pending ``ListingRevision`` is returned instead."""
    listing = _lock(listing)
    _require_owner(actor, listing, _("sửa"))
    if listing.state in REVISABLE_STATES:
        return revision_submit(actor=actor, listing=listing, data=data)
    if listing.state not in EDITABLE_STATES:
        raise WrongState(
            _("Không thể sửa tin ở trạng thái “%(state)s”.") % {"state": ListingState(listing.state).label},
            action="update",
            state=listing.state,
        )
    before = listing_snapshot(listing)
    ip = apply_snapshot(listing, data)
    listing.full_clean()
    listing.save()
    save_ip_rights(listing, ip)
    after = listing_snapshot(listing)
    audit_record(
        actor=actor,
        action="listing.update",
        target=listing,
        data={"changed": [c.name for c in diff_snapshots(before, after)]},
    )
    return listing


@transaction.atomic
def listing_authors_set(*, actor, listing: Listing, authors: Iterable) -> Listing:
    """Choose the users who co-own the listing (they may edit, renew, close it)."""
    listing = _lock(listing)
    _require_owner(actor, listing, _("sửa"))
    before = sorted(listing.authors.values_list("pk", flat=True))
    listing.authors.set(list(authors))
    after = sorted(listing.authors.values_list("pk", flat=True))
    audit_record(
        actor=actor,
        action="listing.authors_set",
        target=listing,
        before={"authors": before},
        after={"authors": after},
    )
    return listing


# --- lifecycle ----------------------------------------------------------------------------------
@transaction.atomic
def listing_submit(*, actor, listing: Listing) -> Listing:
    """Send a draft for review: to the organisation's TTO if it has an active TTO manager, otherwise
    (or when the TTO manager submits it themselves) straight to the exchange's moderators."""
    listing = _lock(listing)
    _check("submit", listing, actor)
    _validate_complete(listing, "submit")
    now = timezone.now()
    fields = ["submitted_at", "sent_back_reason", "tto_approved_at", "tto_approved_by"]
    listing.submitted_at = now
    listing.sent_back_reason = ""
    listing.tto_approved_at = None
    listing.tto_approved_by = None
    if lperms.is_org_tto_manager(actor, listing):
        target = S.AWAITING_MODERATION
        listing.tto_approved_at, listing.tto_approved_by = now, actor
    elif _has_tto_manager(listing.organization_id):
        target = S.SUBMITTED
    else:
        target = S.AWAITING_MODERATION
    get_transition("submit", listing.state, target)
    _transition(actor=actor, listing=listing, action="submit", target=target, update_fields=fields)
    context = _context(listing, actor)
    if target == S.SUBMITTED:
        _notify_all(
            _tto_managers(listing.organization_id, exclude=actor), "listing_submitted", listing, context
        )
    else:
        _notify_all(_moderators(exclude=actor), "listing_awaiting_moderation", listing, context)
    return listing


@transaction.atomic
def listing_tto_approve(*, actor, listing: Listing) -> Listing:
    listing = _lock(listing)
    t = _check("tto_approve", listing, actor)
    listing.tto_approved_at, listing.tto_approved_by = timezone.now(), actor
    _transition(
        actor=actor,
        listing=listing,
        action="tto_approve",
        target=t.target,
        update_fields=["tto_approved_at", "tto_approved_by"],
    )
    context = _context(listing, actor)
    _notify_all(_owners(listing, exclude=actor), "listing_tto_approved", listing, context)
    _notify_all(_moderators(exclude=actor), "listing_awaiting_moderation", listing, context)
    return listing


@transaction.atomic
def listing_send_back(*, actor, listing: Listing, reason: str) -> Listing:
    """Return a submitted listing to its authors as a draft, with the reason they will see."""
    reason = _require_reason(reason)
    listing = _lock(listing)
    t = _check("send_back", listing, actor)
    listing.sent_back_reason = reason
    _transition(
        actor=actor,
        listing=listing,
        action="send_back",
        target=t.target,
        data={"reason": reason},
        update_fields=["sent_back_reason"],
    )
    _notify_all(
        _owners(listing, exclude=actor), "listing_sent_back", listing, _context(listing, actor, reason=reason)
    )
    return listing


def _validity_end(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.LISTING_VALIDITY_DAYS)


@transaction.atomic
def listing_publish(*, actor, listing: Listing) -> Listing:
    listing = _lock(listing)
    t = _check("publish", listing, actor)
    _validate_complete(listing, "publish")
    now = timezone.now()
    listing.published_at = listing.published_at or now
    listing.expires_at = _validity_end(now)
    listing.sent_back_reason = ""
    _transition(
        actor=actor,
        listing=listing,
        action="publish",
        target=t.target,
        data={"expires_at": listing.expires_at.isoformat()},
        update_fields=["published_at", "expires_at", "sent_back_reason"],
    )
    _notify_all(_owners(listing, exclude=actor), "listing_published", listing, _context(listing, actor))
    return listing


@transaction.atomic
def listing_unpublish(*, actor, listing: Listing, reason: str = "") -> Listing:
    """Take a live listing off the exchange (the organisation's TTO manager or a moderator)."""
    listing = _lock(listing)
    t = _check("unpublish", listing, actor)
    reason = (reason or "").strip()
    _transition(actor=actor, listing=listing, action="unpublish", target=t.target, data={"reason": reason})
    _notify_all(
        _owners(listing, exclude=actor),
        "listing_unpublished",
        listing,
        _context(listing, actor, reason=reason),
    )
    return listing


@transaction.atomic
def listing_close(*, actor, listing: Listing, reason: str = "") -> Listing:
    """The owner closes the listing, e.g. because the technology has been licensed."""
    listing = _lock(listing)
    t = _check("close", listing, actor)
    reason = (reason or "").strip()
    _transition(actor=actor, listing=listing, action="close", target=t.target, data={"reason": reason})
    _notify_all(
        _owners(listing, exclude=actor), "listing_closed", listing, _context(listing, actor, reason=reason)
    )
    return listing


@transaction.atomic
def listing_archive(*, actor, listing: Listing) -> Listing:
    listing = _lock(listing)
    t = _check("archive", listing, actor)
    _transition(actor=actor, listing=listing, action="archive", target=t.target)
    _notify_all(_owners(listing, exclude=actor), "listing_archived", listing, _context(listing, actor))
    return listing


@transaction.atomic
def listing_renew(*, actor, listing: Listing) -> Listing:
    """One click: published until now + LISTING_VALIDITY_DAYS (from expired, or extending a live one)."""
    listing = _lock(listing)
    t = _check("renew", listing, actor)
    before_expiry = listing.expires_at
    listing.expires_at = _validity_end(timezone.now())
    _transition(
        actor=actor,
        listing=listing,
        action="renew",
        target=t.target,
        data={
            "expires_at_before": before_expiry.isoformat() if before_expiry else None,
            "expires_at": listing.expires_at.isoformat(),
        },
        update_fields=["expires_at"],
    )
    _notify_all(_owners(listing, exclude=actor), "listing_renewed", listing, _context(listing, actor))
    return listing


@transaction.atomic
def listing_expire(*, listing: Listing, actor=None, now: dt.datetime | None = None) -> Listing:
    """Called by the scheduler (``actor=None``) once ``expires_at`` has passed."""
    now = now or timezone.now()
    listing = _lock(listing)
    t = _check("expire", listing, actor)
    if listing.expires_at is None or listing.expires_at > now:
        raise WrongState(_("Tin chưa đến hạn hết hạn."), action="expire", state=listing.state)
    _transition(actor=actor, listing=listing, action="expire", target=t.target)
    _notify_all(_owners(listing), "listing_expired", listing, _context(listing, actor))
    return listing


def listings_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire every published listing whose ``expires_at`` has passed; safe to run twice."""
    now = now or timezone.now()
    count, last_pk = 0, 0
    while True:
        ids = list(
            Listing.objects.filter(state=S.PUBLISHED, expires_at__lte=now, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return count
        for pk in ids:
            try:
                listing_expire(listing=pk, now=now)
                count += 1
            except TransitionNotAllowed:
                pass  # changed meanwhile (renewed, unpublished): nothing to do
        last_pk = ids[-1]


def listing_expiry_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind owners before expiry, once per threshold in ``LISTING_EXPIRY_REMINDER_DAYS``.

    Thresholds are handled from the nearest up: a listing inside several windows at once (published
    with 5 days left) gets one reminder and every threshold it already passed is marked as sent.
    Rows are keyed by ``expires_at``, so a renewed listing is reminded again for its new period.
    """
    now = now or timezone.now()
    thresholds = sorted({int(d) for d in settings.LISTING_EXPIRY_REMINDER_DAYS if int(d) > 0})
    sent = 0
    for days in thresholds:
        last_pk = 0
        while True:
            ids = list(
                Listing.objects.filter(
                    state=S.PUBLISHED,
                    expires_at__gt=now,
                    expires_at__lte=now + dt.timedelta(days=days),
                    pk__gt=last_pk,
                )
                .exclude(
                    Exists(
                        ListingExpiryReminder.objects.filter(
                            listing=OuterRef("pk"), days_before=days, expires_at=OuterRef("expires_at")
                        )
                    )
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                break
            for pk in ids:
                sent += _send_expiry_reminder(pk, days, thresholds, now)
            last_pk = ids[-1]
    return sent


@transaction.atomic
def _send_expiry_reminder(listing_id: int, days: int, thresholds: list[int], now: dt.datetime) -> int:
    listing = _lock(listing_id)
    if listing.state != S.PUBLISHED or listing.expires_at is None or listing.expires_at <= now:
        return 0
    if ListingExpiryReminder.objects.filter(
        listing=listing, days_before=days, expires_at=listing.expires_at
    ).exists():
        return 0
    covered = [d for d in thresholds if d >= days]
    ListingExpiryReminder.objects.bulk_create(
        [
            ListingExpiryReminder(listing=listing, days_before=d, expires_at=listing.expires_at)
            for d in covered
        ],
        ignore_conflicts=True,
    )
    days_left = max(1, math.ceil((listing.expires_at - now).total_seconds() / 86400))
    audit_record(
        actor=None,
        action="listing.expiry_reminder",
        target=listing,
        data={"threshold_days": days, "days_left": days_left, "expires_at": listing.expires_at.isoformat()},
    )
    _notify_all(_owners(listing), "listing_expiring", listing, _context(listing, None, days=days_left))
    return 1


# --- revisions of a published listing ------------------------------------------------------------
def _lock_revision(revision: ListingRevision | int) -> tuple[ListingRevision, Listing]:
    pk = revision if isinstance(revision, int) else revision.pk
    listing_id = ListingRevision.objects.values_list("listing_id", flat=True).get(pk=pk)
    listing = _lock(listing_id)
    revision = ListingRevision.objects.select_for_update(of=("self",)).select_related("author").get(pk=pk)
    return revision, listing


def _revision_audit(actor, revision: ListingRevision, verb: str, before: dict, data: dict | None = None):
    audit_record(
        actor=actor,
        action=f"listing_revision.{verb}",
        target=revision,
        before=before,
        after={"state": revision.state, "stage": revision.stage},
        data={"listing": revision.listing_id, **(data or {})},
    )


def _revision_refused(message, revision: ListingRevision, action: str):
    return WrongState(message, action=action, state=f"{revision.state}/{revision.stage}")


@transaction.atomic
def revision_submit(*, actor, listing: Listing, data: Mapping[str, Any]) -> ListingRevision:
    """Propose an edit of a published listing; the live listing is unchanged until it is approved.

    A new proposal replaces (rejects) an older pending one from the same listing, so there is at most
    one pending revision and every proposal stays in the history.
    """
    listing = _lock(listing)
    _require_owner(actor, listing, _("sửa"))
    if listing.state not in REVISABLE_STATES:
        raise WrongState(
            _("Chỉ tin đang đăng mới sửa qua bản sửa chờ duyệt."),
            action="revision_submit",
            state=listing.state,
        )
    current = listing_snapshot(listing)
    proposed = {**current, **normalize(data)}
    candidate = copy.copy(listing)
    apply_snapshot(candidate, proposed)
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    proposed = normalize(proposed)
    if not diff_snapshots(current, proposed):
        raise ValidationError(_("Không có thay đổi nào so với bản đang đăng."), code="no_changes")
    now = timezone.now()
    for old in ListingRevision.objects.select_for_update().filter(
        listing=listing, state=RevisionState.PENDING
    ):
        before = {"state": old.state, "stage": old.stage}
        old.state, old.reason, old.decided_by, old.decided_at = (
            RevisionState.REJECTED,
            _("Được thay bằng bản sửa mới hơn."),
            actor,
            now,
        )
        old.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        _revision_audit(actor, old, "supersede", before)
    revision = ListingRevision(listing=listing, data=proposed, base_version=listing.version, author=actor)
    if lperms.is_org_tto_manager(actor, listing):
        revision.stage = RevisionStage.MODERATION
        revision.tto_approved_by, revision.tto_approved_at = actor, now
    elif _has_tto_manager(listing.organization_id):
        revision.stage = RevisionStage.TTO
    else:
        revision.stage = RevisionStage.MODERATION
    revision.save()
    _revision_audit(
        actor,
        revision,
        "submit",
        {"state": None, "stage": None},
        {"changed": [c.name for c in diff_snapshots(current, proposed)]},
    )
    context = _context(listing, actor)
    if revision.stage == RevisionStage.TTO:
        recipients = _tto_managers(listing.organization_id, exclude=actor)
    else:
        recipients = _moderators(exclude=actor)
    _notify_all(recipients, "listing_revision_submitted", listing, context, target=revision)
    return revision


@transaction.atomic
def revision_tto_approve(*, actor, revision: ListingRevision) -> ListingRevision:
    revision, listing = _lock_revision(revision)
    if not lperms.is_org_tto_manager(actor, listing):
        raise NotPermitted(
            _("Chỉ quản lý TTO của tổ chức mới duyệt được bản sửa này."), action="revision_tto_approve"
        )
    if revision.state != RevisionState.PENDING or revision.stage != RevisionStage.TTO:
        raise _revision_refused(_("Bản sửa không chờ TTO duyệt."), revision, "revision_tto_approve")
    before = {"state": revision.state, "stage": revision.stage}
    revision.stage = RevisionStage.MODERATION
    revision.tto_approved_by, revision.tto_approved_at = actor, timezone.now()
    revision.save(update_fields=["stage", "tto_approved_by", "tto_approved_at"])
    _revision_audit(actor, revision, "tto_approve", before)
    _notify_all(
        _moderators(exclude=actor),
        "listing_revision_submitted",
        listing,
        _context(listing, actor),
        target=revision,
    )
    return revision


@transaction.atomic
def revision_approve(*, actor, revision: ListingRevision) -> ListingRevision:
    """A moderator accepts the edit: it is applied to the live listing and ``version`` goes up by one."""
    revision, listing = _lock_revision(revision)
    if not perms.is_moderator(actor):
        raise NotPermitted(_("Chỉ kiểm duyệt viên mới duyệt được bản sửa."), action="revision_approve")
    if revision.state != RevisionState.PENDING or revision.stage != RevisionStage.MODERATION:
        raise _revision_refused(_("Bản sửa không chờ kiểm duyệt."), revision, "revision_approve")
    if listing.state not in REVISABLE_STATES:
        raise WrongState(
            _("Tin không còn đang đăng; không áp dụng được bản sửa."),
            action="revision_approve",
            state=listing.state,
        )
    before_snapshot = listing_snapshot(listing)
    before_version = listing.version
    ip = apply_snapshot(listing, revision.data)
    listing.full_clean()
    _bump_version(listing, listing.state)
    listing.save()
    save_ip_rights(listing, ip)
    before = {"state": revision.state, "stage": revision.stage}
    revision.state, revision.decided_by, revision.decided_at = RevisionState.APPROVED, actor, timezone.now()
    revision.save(update_fields=["state", "decided_by", "decided_at"])
    _revision_audit(actor, revision, "approve", before)
    audit_record(
        actor=actor,
        action="listing.revision_apply",
        target=listing,
        before={"state": listing.state, "version": before_version},
        after={"state": listing.state, "version": listing.version},
        data={
            "revision": revision.pk,
            "changed": [c.name for c in diff_snapshots(before_snapshot, revision.data)],
        },
    )
    recipients = {u.pk: u for u in _owners(listing, exclude=actor)}
    if revision.author and revision.author.is_active and revision.author != actor:
        recipients[revision.author.pk] = revision.author
    _notify_all(
        recipients.values(), "listing_revision_approved", listing, _context(listing, actor), target=revision
    )
    return revision


@transaction.atomic
def revision_reject(*, actor, revision: ListingRevision, reason: str) -> ListingRevision:
    """Refuse an edit (TTO manager at the TTO step, a moderator at either step); the live listing stays."""
    reason = _require_reason(reason)
    revision, listing = _lock_revision(revision)
    if revision.stage == RevisionStage.TTO:
        allowed = lperms.is_org_tto_manager(actor, listing) or perms.is_moderator(actor)
    else:
        allowed = perms.is_moderator(actor)
    if not allowed:
        raise NotPermitted(_("Bạn không có quyền từ chối bản sửa này."), action="revision_reject")
    if revision.state != RevisionState.PENDING:
        raise _revision_refused(_("Bản sửa đã được xử lý."), revision, "revision_reject")
    before = {"state": revision.state, "stage": revision.stage}
    revision.state, revision.reason = RevisionState.REJECTED, reason
    revision.decided_by, revision.decided_at = actor, timezone.now()
    revision.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    _revision_audit(actor, revision, "reject", before, {"reason": reason})
    recipients = []
    if revision.author and revision.author.is_active and revision.author != actor:
        recipients = [revision.author]
    _notify_all(
        recipients,
        "listing_revision_rejected",
        listing,
        _context(listing, actor, reason=reason),
        target=revision,
    )
    return revision


# --- media --------------------------------------------------------------------------------------
def _require_media_editable(actor, listing: Listing) -> None:
    _require_owner(actor, listing, _("sửa"))
    if listing.state == S.ARCHIVED:
        raise WrongState(_("Tin đã lưu trữ, không thêm/xóa tệp được."), action="media", state=listing.state)


@transaction.atomic
def listing_attachment_add(
    *, actor, listing: Listing, file, confidential: bool = False, title: str = "", language: str = ""
) -> ListingAttachment:
    """Store a document: confidential ones only in the private storage (never under MEDIA_ROOT)."""
    listing = _lock(listing)
    _require_media_editable(actor, listing)
    content_type = (getattr(file, "content_type", "") or "")[:100]
    try:
        if validate_attachment(file) in IMAGE_EXTENSIONS:
            file = reencode_image(file)  # no EXIF/GPS or appended payload in a picture handed out
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    original = safe_filename(getattr(file, "name", ""))
    attachment = ListingAttachment(
        listing=listing,
        confidential=confidential,
        title=(title or "").strip()[:300],
        language=(language or "")[:5],
        original_name=original,
        content_type=content_type,
        size=file.size,
        uploaded_by=actor,
    )
    target_field = attachment.private_file if confidential else attachment.public_file
    target_field.save(original, file, save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="listing.attachment_add",
        target=listing,
        data={
            "attachment": attachment.pk,
            "confidential": confidential,
            "name": original,
            "size": attachment.size,
        },
    )
    return attachment


@transaction.atomic
def listing_attachment_remove(*, actor, attachment: ListingAttachment) -> None:
    listing = _lock(attachment.listing_id)
    attachment = ListingAttachment.objects.select_for_update().get(pk=attachment.pk)
    _require_media_editable(actor, listing)
    field = attachment.file
    storage, name = field.storage, field.name
    audit_record(
        actor=actor,
        action="listing.attachment_remove",
        target=listing,
        data={
            "attachment": attachment.pk,
            "confidential": attachment.confidential,
            "name": attachment.original_name,
        },
    )
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def listing_image_add(*, actor, listing: Listing, file, caption: str = "", position: int = 0) -> ListingImage:
    listing = _lock(listing)
    _require_media_editable(actor, listing)
    try:
        validate_image(file)
        clean = reencode_image(file)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from exc
    image = ListingImage(listing=listing, caption=(caption or "").strip()[:300], position=position)
    image.image.save(clean.name, clean, save=False)
    image.save()
    audit_record(actor=actor, action="listing.image_add", target=listing, data={"image": image.pk})
    return image


@transaction.atomic
def listing_image_remove(*, actor, image: ListingImage) -> None:
    listing = _lock(image.listing_id)
    _require_media_editable(actor, listing)
    storage, name = image.image.storage, image.image.name
    audit_record(actor=actor, action="listing.image_remove", target=listing, data={"image": image.pk})
    image.delete()
    transaction.on_commit(lambda: storage.delete(name))


def listing_attachment_record_view(*, actor, attachment: ListingAttachment) -> None:
    """Every look at a confidential file leaves an audit row (who, when, from which IP)."""
    if attachment.confidential:
        audit_record(
            actor=actor,
            action="listing.confidential_file_viewed",
            target=attachment.listing,
            data={"attachment": attachment.pk, "name": attachment.original_name},
        )


# --- Public site: saving and statistics -------------------------------------------------------------

STAT_FIELDS = frozenset({"views", "saves", "inquiries"})


def listing_stat_increment(*, listing_id: int, field: str, by: int = 1, day: dt.date | None = None) -> None:
    """Add ``by`` to one counter of today's ``ListingDailyStat`` row: one UPDATE with ``F()``, and an
    INSERT only on the first event of the day (a concurrent first insert falls back to the UPDATE)."""
    from django.db import IntegrityError
    from django.db.models import F

    from .models import ListingDailyStat

    if field not in STAT_FIELDS:
        raise ValueError(f"Unknown statistic {field!r}")
    day = day or timezone.localdate()
    rows = ListingDailyStat.objects.filter(listing_id=listing_id, date=day)
    if rows.update(**{field: F(field) + by}):
        return
    try:
        with transaction.atomic():
            ListingDailyStat.objects.create(listing_id=listing_id, date=day, **{field: by})
    except IntegrityError:
        rows.update(**{field: F(field) + by})


def listing_record_view(*, listing_id: int, user) -> bool:
    """Count one view of a public detail page, unless the viewer owns the listing. Returns whether counted.

    Owners (creator, co-authors, active members of the organisation) are excluded with one EXISTS query.
    """
    from django.db.models import Q

    if perms.is_authenticated(user):
        owner = Listing.objects.filter(pk=listing_id).filter(
            Q(created_by=user)
            | Q(authors=user)
            | Q(
                organization__memberships__user=user,
                organization__memberships__status=MembershipStatus.ACTIVE,
            )
        )
        if owner.exists():
            return False
    listing_stat_increment(listing_id=listing_id, field="views")
    return True


def listing_save(*, user, listing: Listing):
    """Bookmark a public listing for a signed-in user; saving twice is a no-op."""
    from .models import SavedListing

    if not perms.is_authenticated(user):
        raise NotPermitted(_("Cần đăng nhập để lưu tin."), action="save")
    if listing.state not in PUBLIC_STATES:
        raise WrongState(_("Chỉ lưu được tin đang đăng."), action="save", state=listing.state)
    with transaction.atomic():
        saved, created = SavedListing.objects.get_or_create(user=user, listing=listing)
        if created:
            listing_stat_increment(listing_id=listing.pk, field="saves")
            audit_record(actor=user, action="listing.save", target=listing)
    return saved


def listing_unsave(*, user, listing: Listing) -> bool:
    """Remove a bookmark; returns whether there was one."""
    from .models import SavedListing

    if not perms.is_authenticated(user):
        raise NotPermitted(_("Cần đăng nhập để bỏ lưu tin."), action="unsave")
    with transaction.atomic():
        deleted, _rows = SavedListing.objects.filter(user=user, listing=listing).delete()
        if deleted:
            audit_record(actor=user, action="listing.unsave", target=listing)
    return bool(deleted)
