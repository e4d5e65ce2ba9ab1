"""Inquiries on federated listings: forwarded to the listing's origin, answered there, reported back.

Buyer side (the exchange where the interested member is):
    ``forwarded_inquiry_create`` → ``ForwardedInquiry`` (queued) → after commit the task
    ``federation_inquiry_deliver(id)`` POSTs it, signed, to the origin's ``/federation/v1/inquiries``
    → delivered (or retried with capped backoff on 5xx/429/network errors; failed on any other 4xx or
    after ``MAX_ATTEMPTS``) → the origin's signed status callback makes it accepted or declined.

Origin side (the exchange that published the listing):
    ``incoming_inquiry_receive`` (the endpoint; idempotent per (peer, callback_id)) → ``IncomingInquiry``
    visible to the listing owner's organisation → ``incoming_inquiry_decide`` (accept/decline) → after
    commit ``federation_inquiry_report(id)`` POSTs ``/federation/v1/inquiries/<callback_id>/status`` to
    the buyer's exchange, retried the same way until it answers 200.

A periodic task (``federation_inquiries_schedule``) re-queues whatever is due, so a lost task or a peer
that was down only delays delivery. Every state change writes an audit row and notifies the people
concerned.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipRole, MembershipStatus, Organization
from exchange.core.services import audit_record, notify
from exchange.core.tasks import enqueue_on_commit

from .client import PeerClient, PeerError, PeerUnavailable
from .models import (
    OPEN_FORWARDED,
    ForwardedInquiry,
    ForwardedStatus,
    IncomingInquiry,
    IncomingStatus,
    Peer,
)
from .services import backoff_seconds

logger = logging.getLogger(__name__)

MESSAGE_MAX = 10_000
MAX_ATTEMPTS = 10  # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about four hours in all
FIRST_RETRY = dt.timedelta(seconds=60)  # the scheduler's safety net if the after-commit task is lost
DUE_BATCH = 200

STATUS_TEXT = {
    "delivered": ("đã tới sàn gốc", "delivered to the origin exchange"),
    "accepted": ("được chấp nhận", "accepted"),
    "declined": ("bị từ chối", "declined"),
    "failed": ("không gửi được", "could not be delivered"),
}
DECIDED_TEXT = {"accepted": ("chấp nhận", "accepted"), "declined": ("từ chối", "declined")}


class InquiryError(ValidationError):
    """A refused protocol request: ``status`` is the HTTP answer, ``code`` the error code."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail, code=code)
        self.status = status
        self.detail = detail


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the people's pages are mounted by the project's urls (see the docs)
        return ""


def _is_federated(listing) -> bool:
    return listing.origin != settings.EXCHANGE_ORIGIN


# --- permissions --------------------------------------------------------------------------------------
def verified_organizations(user) -> QuerySet[Organization]:
    """The verified organisations ``user`` is an active member of (who they may speak for)."""
    if not perms.is_authenticated(user):
        return Organization.objects.none()
    return Organization.objects.filter(
        verified=True, memberships__user=user, memberships__status=MembershipStatus.ACTIVE
    ).distinct()


def can_view_forwarded(user, inquiry: ForwardedInquiry) -> bool:
    return perms.is_staff(user) or perms.is_member(user, inquiry.organization_id)


def can_view_incoming(user, inquiry: IncomingInquiry) -> bool:
    return perms.is_staff(user) or perms.is_member(user, inquiry.organization_id)


def can_decide_incoming(user, inquiry: IncomingInquiry) -> bool:
    """The owner organisation's TTO managers and signatories, the listing's creator, or staff."""
    if perms.is_staff(user) or perms.is_signatory(user, inquiry.organization_id):
        return True
    listing = inquiry.listing
    return bool(
        listing is not None
        and listing.created_by_id == getattr(user, "pk", None)
        and perms.is_member(user, inquiry.organization_id)
    )


# --- selectors ----------------------------------------------------------------------------------------
def _member_org_ids(user):
    return user.memberships.filter(status=MembershipStatus.ACTIVE).values("organization_id")


def forwarded_for_user(user) -> QuerySet[ForwardedInquiry]:
    if not perms.is_authenticated(user):
        return ForwardedInquiry.objects.none()
    return ForwardedInquiry.objects.filter(organization_id__in=_member_org_ids(user)).select_related(
        "peer", "organization", "listing", "user"
    )


def incoming_for_user(user) -> QuerySet[IncomingInquiry]:
    if not perms.is_authenticated(user):
        return IncomingInquiry.objects.none()
    return IncomingInquiry.objects.filter(organization_id__in=_member_org_ids(user)).select_related(
        "peer", "organization", "listing"
    )


def forwarded_get(user, pk: int) -> ForwardedInquiry | None:
    inquiry = ForwardedInquiry.objects.select_related("peer", "organization", "listing", "user").filter(pk=pk)
    inquiry = inquiry.first()
    return inquiry if inquiry is not None and can_view_forwarded(user, inquiry) else None


def incoming_get(user, pk: int) -> IncomingInquiry | None:
    inquiry = IncomingInquiry.objects.select_related("peer", "organization", "listing").filter(pk=pk).first()
    return inquiry if inquiry is not None and can_view_incoming(user, inquiry) else None


# --- buyer side: create and deliver -------------------------------------------------------------------
def _snapshot(inquiry) -> dict[str, Any]:
    return {"status": inquiry.status, "remote_id": getattr(inquiry, "remote_id", "")}


def forwarded_inquiry_create(
    *, actor, listing, organization: Organization, message: str, share_email: bool = True
) -> ForwardedInquiry:
    """A member of a verified organisation expresses interest in a federated listing.

    Raises ``PermissionDenied`` (not a member / not verified) or ``ValidationError``.
    """
    from listings.lifecycle import PUBLIC_STATES
    from listings.models import Listing

    if not perms.is_authenticated(actor) or not perms.is_member(actor, organization.pk):
        raise PermissionDenied(_("Bạn cần là thành viên đang hoạt động của tổ chức."))
    if not organization.verified:
        raise PermissionDenied(_("Chỉ tổ chức đã được xác minh mới gửi quan tâm tới sàn khác."))
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Vui lòng viết vài dòng giới thiệu nhu cầu của bạn.")})
    if len(message) > MESSAGE_MAX:
        raise ValidationError({"message": _("Tin nhắn quá dài.")})
    with transaction.atomic():
        listing = Listing.objects.select_for_update(of=("self",)).get(pk=listing.pk)
        if not _is_federated(listing):
            raise ValidationError(_("Tin này thuộc sàn của chúng tôi; hãy bày tỏ quan tâm trực tiếp."))
        if listing.state not in PUBLIC_STATES:
            raise ValidationError(_("Chỉ có thể bày tỏ quan tâm với tin đang đăng."))
        peer = Peer.objects.filter(origin=listing.origin, active=True).first()
        if peer is None:
            raise ValidationError(_("Sàn gốc của tin này hiện không nhận quan tâm qua mạng liên thông."))
        if ForwardedInquiry.objects.filter(
            listing=listing, organization=organization, status__in=OPEN_FORWARDED
        ).exists():
            raise ValidationError(
                _("Tổ chức của bạn đã gửi quan tâm tới tin này và đang chờ phản hồi."), code="duplicate"
            )
        inquiry = ForwardedInquiry(
            peer=peer,
            listing=listing,
            ref=listing.ref,
            listing_title=(listing.title_vi or listing.title_en or listing.ref)[:500],
            user=actor,
            organization=organization,
            buyer_name=(actor.get_full_name() or actor.email)[:200],
            buyer_organization=organization.name[:255],
            buyer_country=(organization.country or "VN")[:2],
            buyer_email=actor.email if share_email else "",
            message=message,
            next_attempt_at=timezone.now() + FIRST_RETRY,
        )
        try:
            with transaction.atomic():
                inquiry.save()
        except IntegrityError as exc:  # a concurrent double submit
            raise ValidationError(
                _("Tổ chức của bạn đã gửi quan tâm tới tin này và đang chờ phản hồi."), code="duplicate"
            ) from exc
        audit_record(
            actor=actor,
            action="forwarded_inquiry.create",
            target=inquiry,
            after=_snapshot(inquiry),
            data={
                "listing": listing.pk,
                "origin": listing.origin,
                "ref": listing.ref,
                "org": organization.pk,
            },
        )
        enqueue_on_commit(_deliver_task(), inquiry.pk)
    return inquiry


def _deliver_task():
    from .tasks import federation_inquiry_deliver

    return federation_inquiry_deliver


def _report_task():
    from .tasks import federation_inquiry_report

    return federation_inquiry_report


def _protocol_payload(inquiry: ForwardedInquiry) -> dict[str, Any]:
    buyer = {
        "name": inquiry.buyer_name,
        "organization": inquiry.buyer_organization,
        "country": inquiry.buyer_country,
    }
    if inquiry.buyer_email:
        buyer["email"] = inquiry.buyer_email
    return {
        "ref": inquiry.ref,
        "message": inquiry.message,
        "buyer": buyer,
        "callback_id": str(inquiry.callback_id),
    }


def _tell_buyer(inquiry: ForwardedInquiry, status: str) -> None:
    recipient = inquiry.user
    if recipient is None or not recipient.is_active:
        return
    vi, en = STATUS_TEXT[status]
    reason = inquiry.reason or inquiry.last_error if status in ("declined", "failed") else inquiry.reason
    notify(
        recipient=recipient,
        kind="federation_inquiry_status",
        context={
            "title": inquiry.listing_title,
            "peer": inquiry.peer.name,
            "organization": inquiry.buyer_organization,
            "status_vi": vi,
            "status_en": en,
            "reason": (reason or "")[:500],
        },
        url=_url("federation:sent_detail", inquiry.pk),
        target=inquiry,
    )


def forwarded_inquiry_deliver(*, inquiry_id: int) -> str:
    """Send one queued inquiry to its origin; safe to run twice (the origin de-duplicates)."""
    inquiry = ForwardedInquiry.objects.select_related("peer").filter(pk=inquiry_id).first()
    if inquiry is None or inquiry.status != ForwardedStatus.QUEUED:
        return "skipped"
    peer = inquiry.peer
    try:
        if not peer.active:
            raise PeerUnavailable(f"peer {peer.origin} is inactive")
        response = PeerClient(peer.base_url).request(
            "POST", "/federation/v1/inquiries", payload=_protocol_payload(inquiry), ok=(200, 201)
        )
    except PeerError as exc:
        return _delivery_failed(inquiry, exc)
    data = response.data if isinstance(response.data, dict) else {}
    remote_id = str(data.get("id") or "")[:64]
    remote_status = data.get("status")
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ForwardedInquiry.objects.select_for_update(of=("self",))
            .select_related("peer", "user")
            .get(pk=inquiry.pk)
        )
        if locked.status != ForwardedStatus.QUEUED:
            return "skipped"  # a concurrent run, or the status callback, came first
        before = _snapshot(locked)
        locked.status, locked.remote_id, locked.delivered_at = ForwardedStatus.DELIVERED, remote_id, now
        locked.attempts += 1
        locked.next_attempt_at, locked.last_error = None, ""
        if remote_status in (ForwardedStatus.ACCEPTED, ForwardedStatus.DECLINED):
            locked.status, locked.decided_at = remote_status, now  # a re-delivery after the decision
        locked.save()
        audit_record(
            actor=None,
            action="forwarded_inquiry.deliver",
            target=locked,
            before=before,
            after=_snapshot(locked),
            data={"peer": peer.origin, "attempts": locked.attempts},
        )
        _tell_buyer(locked, locked.status)
    return locked.status


def _delivery_failed(inquiry: ForwardedInquiry, exc: PeerError) -> str:
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ForwardedInquiry.objects.select_for_update(of=("self",))
            .select_related("peer", "user")
            .get(pk=inquiry.pk)
        )
        if locked.status != ForwardedStatus.QUEUED:
            return "skipped"
        locked.attempts += 1
        locked.last_error = str(exc)[:2000]
        transient = isinstance(exc, PeerUnavailable)
        if transient and locked.attempts < MAX_ATTEMPTS:
            delay = backoff_seconds(locked.attempts, retry_after=exc.retry_after)
            locked.next_attempt_at = now + dt.timedelta(seconds=delay)
            locked.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
            logger.info("Inquiry %s to %s: retry in %.0f s (%s)", locked.pk, locked.peer.origin, delay, exc)
            return "retry"
        before = _snapshot(locked)
        locked.status, locked.next_attempt_at = ForwardedStatus.FAILED, None
        locked.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "updated_at"])
        audit_record(
            actor=None,
            action="forwarded_inquiry.fail",
            target=locked,
            before=before,
            after=_snapshot(locked),
            data={"error": locked.last_error[:300], "attempts": locked.attempts},
        )
        _tell_buyer(locked, ForwardedStatus.FAILED)
        logger.warning("Inquiry %s to %s failed: %s", locked.pk, locked.peer.origin, exc)
    return "failed"


def _clean_contact(value) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    contact = {k: str(value[k])[:255] for k in ("name", "organization", "email") if value.get(k)}
    if "email" in contact:
        try:
            validate_email(contact["email"])
        except ValidationError:
            contact.pop("email")
    return contact or None


def forwarded_inquiry_status_receive(*, peer: Peer, callback_id: str, payload: Any) -> ForwardedInquiry:
    """The origin reports its decision (the signed status callback); idempotent."""
    try:
        key = uuid.UUID(str(callback_id))
    except ValueError as exc:
        raise InquiryError(404, "not_found", "no such inquiry") from exc
    if not isinstance(payload, dict) or payload.get("status") not in ("accepted", "declined"):
        raise InquiryError(400, "bad_request", 'status must be "accepted" or "declined"')
    status = payload["status"]
    reason = payload.get("reason") or ""
    if not isinstance(reason, str):
        raise InquiryError(400, "bad_request", "reason must be a string")
    with transaction.atomic():
        inquiry = (
            ForwardedInquiry.objects.select_for_update(of=("self",))  # ``user`` is nullable: lock no join
            .select_related("peer", "user")
            .filter(callback_id=key, peer=peer)  # only the origin it was sent to may answer it
            .first()
        )
        if inquiry is None:
            raise InquiryError(404, "not_found", "no such inquiry from this origin")
        if inquiry.status == status:
            return inquiry  # a repeated callback
        if inquiry.status in (ForwardedStatus.ACCEPTED, ForwardedStatus.DECLINED):
            raise InquiryError(409, "conflict", f"already {inquiry.status}")
        before = _snapshot(inquiry)
        now = timezone.now()
        inquiry.status, inquiry.reason, inquiry.decided_at = status, reason.strip()[:2000], now
        inquiry.contact = _clean_contact(payload.get("contact")) if status == "accepted" else None
        if not inquiry.remote_id and payload.get("id"):
            inquiry.remote_id = str(payload["id"])[:64]
        inquiry.delivered_at = inquiry.delivered_at or now
        inquiry.next_attempt_at = None
        inquiry.save()
        audit_record(
            actor=None,
            action="forwarded_inquiry.status",
            target=inquiry,
            before=before,
            after=_snapshot(inquiry),
            data={"peer": peer.origin},
        )
        _tell_buyer(inquiry, status)
    return inquiry


# --- origin side: receive, decide, report -------------------------------------------------------------
def _text(value, name: str, *, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InquiryError(400, "bad_request", f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise InquiryError(400, "bad_request", f"{name} is required")
    if len(value) > limit:
        raise InquiryError(400, "bad_request", f"{name} is longer than {limit} characters")
    return value


def _owner_people(inquiry: IncomingInquiry, *, exclude=None) -> list:
    """The owner organisation's TTO managers and signatories, and the listing's creator if a member."""
    users = get_user_model().objects.filter(
        is_active=True,
        memberships__organization_id=inquiry.organization_id,
        memberships__status=MembershipStatus.ACTIVE,
        memberships__role__in=[MembershipRole.TTO_MANAGER, MembershipRole.SIGNATORY],
    )
    people = {u.pk: u for u in users.distinct()}
    listing = inquiry.listing
    creator = listing.created_by if listing is not None and listing.created_by_id else None
    if creator is not None and creator.is_active and perms.is_member(creator, inquiry.organization_id):
        people[creator.pk] = creator
    if exclude is not None:
        people.pop(exclude.pk, None)
    return list(people.values())


def incoming_inquiry_receive(*, peer: Peer, payload: Any) -> tuple[IncomingInquiry, bool]:
    """A peer forwards its member's interest in one of OUR published listings. ``(inquiry, created)``.

    Raises ``InquiryError`` (400 invalid, 404 not our listing or never published, 410 no longer public).
    """
    from listings.lifecycle import PUBLIC_STATES
    from listings.models import Listing

    if not isinstance(payload, dict):
        raise InquiryError(400, "bad_request", "body must be a JSON object")
    callback_id = _text(payload.get("callback_id"), "callback_id", limit=64)
    ref = _text(payload.get("ref"), "ref", limit=100)
    message = _text(payload.get("message"), "message", limit=MESSAGE_MAX)
    buyer = payload.get("buyer")
    if not isinstance(buyer, dict):
        raise InquiryError(400, "bad_request", "buyer must be an object")
    name = _text(buyer.get("name"), "buyer.name", limit=200)
    organization = _text(buyer.get("organization"), "buyer.organization", limit=255)
    country = _text(buyer.get("country"), "buyer.country", limit=2).upper()
    if len(country) != 2 or not country.isalpha():
        raise InquiryError(400, "bad_request", "buyer.country must be an ISO 3166 alpha-2 code")
    email = _text(buyer.get("email"), "buyer.email", limit=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InquiryError(400, "bad_request", "buyer.email is not an email address") from exc

    existing = IncomingInquiry.objects.filter(peer=peer, callback_id=callback_id).first()
    if existing is not None:
        return existing, False
    listing = (
        Listing.objects.select_related("organization", "created_by")
        .filter(origin=settings.EXCHANGE_ORIGIN, ref=ref)
        .first()
    )
    # A listing that was never published (a draft, one still in review) does not exist for peers: a 410
    # would tell them that such a ref is being prepared here, which only its organisation may know.
    if listing is None or (listing.state not in PUBLIC_STATES and listing.published_at is None):
        raise InquiryError(404, "not_found", "no such listing at this origin")
    if listing.state not in PUBLIC_STATES:
        raise InquiryError(410, "gone", "the listing is no longer published")
    try:
        with transaction.atomic():
            inquiry = IncomingInquiry.objects.create(
                peer=peer,
                callback_id=callback_id,
                listing=listing,
                ref=ref,
                organization=listing.organization,
                buyer_name=name,
                buyer_organization=organization,
                buyer_country=country,
                buyer_email=email,
                message=message,
            )
            audit_record(
                actor=None,
                action="incoming_inquiry.receive",
                target=inquiry,
                after={"status": inquiry.status},
                data={"peer": peer.origin, "ref": ref, "callback_id": callback_id},
            )
            context = {
                "peer": peer.name,
                "title": listing.title_vi or listing.title_en or ref,
                "buyer": name,
                "organization": organization,
                "country": country,
                "message": message[:1000],
            }
            for user in _owner_people(inquiry):
                notify(
                    recipient=user,
                    kind="federation_inquiry_received",
                    context=context,
                    url=_url("federation:received_detail", inquiry.pk),
                    target=inquiry,
                )
    except IntegrityError:  # a concurrent delivery of the same callback id won
        return IncomingInquiry.objects.get(peer=peer, callback_id=callback_id), False
    return inquiry, True


def incoming_inquiry_decide(
    *, actor, inquiry: IncomingInquiry, accept: bool, reason: str = ""
) -> IncomingInquiry:
    """The listing's organisation accepts or declines; the decision is reported back after commit."""
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": _("Lời nhắn quá dài.")})
    with transaction.atomic():
        inquiry = (
            IncomingInquiry.objects.select_for_update(of=("self",))
            .select_related("peer", "listing", "organization")
            .get(pk=inquiry.pk)
        )
        if not can_decide_incoming(actor, inquiry):
            raise PermissionDenied(_("Bạn không có quyền phản hồi quan tâm này."))
        if inquiry.status != IncomingStatus.RECEIVED:
            raise ValidationError(_("Quan tâm này đã được phản hồi."))
        before = {"status": inquiry.status}
        now = timezone.now()
        inquiry.status = IncomingStatus.ACCEPTED if accept else IncomingStatus.DECLINED
        inquiry.reason, inquiry.decided_by, inquiry.decided_at = reason, actor, now
        inquiry.report_pending, inquiry.report_attempts = True, 0
        inquiry.report_next_at, inquiry.report_error = now + FIRST_RETRY, ""
        inquiry.save()
        audit_record(
            actor=actor,
            action=f"incoming_inquiry.{'accept' if accept else 'decline'}",
            target=inquiry,
            before=before,
            after={"status": inquiry.status},
            data={"reason": reason[:300]},
        )
        vi, en = DECIDED_TEXT[inquiry.status]
        for user in _owner_people(inquiry, exclude=actor):
            notify(
                recipient=user,
                kind="federation_inquiry_decided",
                context={
                    "actor": str(actor),
                    "status_vi": vi,
                    "status_en": en,
                    "organization": inquiry.buyer_organization,
                    "peer": inquiry.peer.name,
                    "title": inquiry.listing.title_vi if inquiry.listing else inquiry.ref,
                },
                url=_url("federation:received_detail", inquiry.pk),
                target=inquiry,
            )
        enqueue_on_commit(_report_task(), inquiry.pk)
    return inquiry


def _status_payload(inquiry: IncomingInquiry) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(inquiry.pk),
        "status": inquiry.status,
        "reason": inquiry.reason,
        "decided_at": inquiry.decided_at.isoformat() if inquiry.decided_at else None,
    }
    if inquiry.status == IncomingStatus.ACCEPTED and inquiry.decided_by is not None:
        person = inquiry.decided_by
        contact = {"name": person.get_full_name() or person.email, "organization": inquiry.organization.name}
        contact["email"] = person.email or inquiry.organization.email
        payload["contact"] = {k: v for k, v in contact.items() if v}
    return payload


def incoming_inquiry_report(*, inquiry_id: int) -> str:
    """POST the decision to the buyer's exchange; retried with backoff; safe to run twice."""
    inquiry = (
        IncomingInquiry.objects.select_related("peer", "organization", "decided_by")
        .filter(pk=inquiry_id, report_pending=True)
        .first()
    )
    if inquiry is None:
        return "skipped"
    peer = inquiry.peer
    path = f"/federation/v1/inquiries/{inquiry.callback_id}/status"
    now = timezone.now()
    try:
        if not peer.active:
            raise PeerUnavailable(f"peer {peer.origin} is inactive")
        PeerClient(peer.base_url).request("POST", path, payload=_status_payload(inquiry), ok=(200,))
    except PeerError as exc:
        attempts = inquiry.report_attempts + 1
        if isinstance(exc, PeerUnavailable) and attempts < MAX_ATTEMPTS:
            delay = backoff_seconds(attempts, retry_after=exc.retry_after)
            IncomingInquiry.objects.filter(pk=inquiry.pk, report_pending=True).update(
                report_attempts=attempts,
                report_error=str(exc)[:2000],
                report_next_at=now + dt.timedelta(seconds=delay),
            )
            return "retry"
        with transaction.atomic():
            IncomingInquiry.objects.filter(pk=inquiry.pk).update(
                report_pending=False, report_attempts=attempts, report_error=str(exc)[:2000]
            )
            audit_record(
                actor=None,
                action="incoming_inquiry.report_failed",
                target=inquiry,
                data={"error": str(exc)[:300], "attempts": attempts},
            )
        logger.warning("Reporting inquiry %s to %s failed: %s", inquiry.pk, peer.origin, exc)
        return "failed"
    with transaction.atomic():
        IncomingInquiry.objects.filter(pk=inquiry.pk).update(
            report_pending=False,
            reported_at=now,
            report_error="",
            report_attempts=inquiry.report_attempts + 1,
        )
        audit_record(
            actor=None, action="incoming_inquiry.report", target=inquiry, data={"status": inquiry.status}
        )
    return "reported"


def inquiries_due(now=None) -> tuple[list[int], list[int]]:
    """Ids of queued deliveries and pending reports whose next attempt is due (bounded batches)."""
    now = now or timezone.now()
    forwarded = list(
        ForwardedInquiry.objects.filter(status=ForwardedStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    reports = list(
        IncomingInquiry.objects.filter(report_pending=True)
        .filter(Q(report_next_at__isnull=True) | Q(report_next_at__lte=now))
        .order_by("report_next_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    return forwarded, reports
