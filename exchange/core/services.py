"""Audit and notification services: the one way every feature records and tells."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone, translation

from .middleware import current_ip
from .models import AuditLog, EmailFrequency, Notification, NotificationPreference

logger = logging.getLogger(__name__)

#: How many notifications a digest email lists; the rest are counted and linked.
DIGEST_MAX_LISTED = 50
_CLAIM_CHUNK = 500
SUPPORTED_LANGUAGES = ("vi", "en")


def audit_record(
    *,
    actor=None,
    action: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Write one audit row inside the caller's transaction (so it rolls back with the change).

    The IP comes from the current request (``RequestContextMiddleware``) unless given; tasks and commands
    have none. ``actor_repr``/``target_repr`` keep the row readable after the user or object is deleted.
    """
    if not action:
        raise ValueError("audit_record needs an action such as 'listing.publish'")
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=actor,
        actor_repr=(actor.email if actor else "system")[:255],
        action=action[:100],
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        ip_address=ip or current_ip(),
        before=before,
        after=after,
        data=data or {},
    )


def _language_of(user) -> str:
    language = getattr(user, "language", "") or "vi"
    return language if language in SUPPORTED_LANGUAGES else "vi"


def notify(
    *,
    recipient,
    kind: str,
    context: dict[str, Any] | None = None,
    url: str = "",
    target: models.Model | None = None,
) -> Notification:
    """Record an in-app notification in the recipient's language and queue its email after commit.

    The email respects the recipient's preference: sent at once, collected into the daily digest, or
    not sent. The task receives the notification id, never the object, and is safe to run twice.
    """
    from .notifications import KINDS
    from .selectors import notification_email_frequency
    from .tasks import enqueue_on_commit, send_notification_email

    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    language = _language_of(recipient)
    subject, body = KINDS[kind].render(language, {k: str(v) for k, v in (context or {}).items()})
    frequency = notification_email_frequency(user_id=recipient.pk)
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        language=language,
        # An email subject is one line; a newline in a caller's value would make send_mail refuse it.
        subject=" ".join(subject.split())[:300],
        body=body,
        url=url,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        email_skipped=frequency == EmailFrequency.OFF,
    )
    if frequency == EmailFrequency.IMMEDIATE:
        enqueue_on_commit(send_notification_email, notification.pk)
    return notification


# --- Email ------------------------------------------------------------------------------------------


def _render_email(name: str, language: str, context: dict[str, Any]) -> str:
    """Render ``core/email/<name>.<language>.txt`` in that language (whatever the current request's)."""
    template = select_template([f"core/email/{name}.{language}.txt", f"core/email/{name}.vi.txt"])
    with translation.override(language):
        context = {
            "site_url": _absolute(""),
            "list_url": _absolute(reverse("notifications:list")),
            "preferences_url": _absolute(reverse("notifications:preferences")),
            **context,
        }
        return template.render(context)


def _absolute(path: str) -> str:
    from .tasks import absolute_url

    return absolute_url(path) if path else absolute_url("/")


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification unless it was emailed, skipped, or its recipient now wants otherwise.

    The row is claimed (``emailed_at`` set) in a short UPDATE before the mail goes out, so two runs can
    never both send it, and no database lock is held while talking to the mail server; once the mail
    server took it, ``email_sent_at`` records that (the idempotent state change: a row with it is never
    sent again). If sending fails the claim is released and the error re-raised, so the task's retry
    sends it later. If the worker dies between the claim and ``email_sent_at``, the claim lapses after
    ``NOTIFICATION_EMAIL_LEASE`` seconds and the repair job sends it again (at least once; a second copy
    only if the worker died in the instant after the mail server accepted the mail).
    """
    from .selectors import notification_email_frequency, notification_email_lease

    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    now = timezone.now()
    lapsed = now - notification_email_lease()
    if (
        notification is None
        or notification.email_sent_at is not None
        or notification.email_skipped
        or (notification.emailed_at is not None and notification.emailed_at >= lapsed)
    ):
        return False
    recipient = notification.recipient
    frequency = notification_email_frequency(user_id=recipient.pk)
    if frequency == EmailFrequency.DAILY:
        return False  # switched to the digest since; the digest will carry it
    if frequency == EmailFrequency.OFF or not recipient.is_active or not recipient.email:
        Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True).update(email_skipped=True)
        return False

    claimed = (
        Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True, email_skipped=False)
        .filter(models.Q(emailed_at__isnull=True) | models.Q(emailed_at__lt=lapsed))
        .update(emailed_at=now)
    )
    if not claimed:
        return False
    try:
        body = _render_email(
            "notification",
            notification.language,
            {"notification": notification, "url": _absolute(notification.url) if notification.url else ""},
        )
        send_mail(notification.subject, body, None, [recipient.email])
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at=now, email_sent_at__isnull=True).update(
            emailed_at=None
        )
        raise
    Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True).update(
        email_sent_at=timezone.now()
    )
    return True


def digest_send_for_user(*, user_id: int) -> int:
    """Send one user a single email listing every notification not yet emailed; return how many.

    Called by the daily scheduler for users on the daily digest, and when someone leaves the digest so
    that what was waiting is not lost. Claim-then-send as in ``notification_email_send``: running it
    twice (or in two workers) sends each notification at most once.
    """
    from .notifications import KINDS
    from .selectors import notification_pending_email_for_user

    user = get_user_model().objects.filter(pk=user_id).only("pk", "email", "language", "is_active").first()
    if user is None or not user.is_active or not user.email:
        return 0

    now = timezone.now()
    with transaction.atomic():
        ids = list(
            notification_pending_email_for_user(user_id=user_id)
            .order_by("-created_at", "-id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        for start in range(0, len(ids), _CLAIM_CHUNK):
            chunk = ids[start : start + _CLAIM_CHUNK]
            # Re-checked in the UPDATE: a concurrent run may have claimed some since the SELECT.
            Notification.objects.filter(pk__in=chunk, emailed_at__isnull=True, email_skipped=False).update(
                emailed_at=now
            )
        claimed = list(
            Notification.objects.filter(pk__in=ids[:DIGEST_MAX_LISTED], emailed_at=now).order_by(
                "-created_at", "-id"
            )
        )
        total = Notification.objects.filter(recipient_id=user_id, emailed_at=now).count()
    if not total:
        return 0

    language = _language_of(user)
    try:
        listed = [{"notification": n, "url": _absolute(n.url) if n.url else ""} for n in claimed]
        subject = KINDS["daily_digest"].render(language, {"count": total, "items": ""})[0]
        body = _render_email(
            "daily_digest",
            language,
            {"items": listed, "count": total, "more_count": max(total - len(listed), 0)},
        )
        send_mail(subject, body, None, [user.email])
    except Exception:
        Notification.objects.filter(recipient_id=user_id, emailed_at=now).update(emailed_at=None)
        raise
    Notification.objects.filter(recipient_id=user_id, emailed_at=now, email_sent_at__isnull=True).update(
        email_sent_at=timezone.now()
    )
    return total


# --- In-app notifications -----------------------------------------------------------------------------


def notification_mark_read(*, user, notification: Notification) -> bool:
    """Mark one of the user's notifications read; False if it already was.

    Reading is not audited: it changes nothing anyone else relies on, and would flood the log.
    """
    if notification.recipient_id != user.pk:
        raise PermissionDenied("Not your notification")
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return bool(updated)


def notification_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_preference_set(*, user, email_frequency: str, actor=None) -> NotificationPreference:
    """Choose how the user is emailed.

    Leaving the digest must not strand what it was holding: switching to ``immediate`` sends the waiting
    notifications in one email after commit; switching ``off`` marks them as never to be emailed.
    """
    from .tasks import enqueue_on_commit, send_daily_digest

    if email_frequency not in EmailFrequency.values:
        raise ValidationError({"email_frequency": f"Unknown email frequency {email_frequency!r}"})
    with transaction.atomic():
        preference, created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"email_frequency": email_frequency}
        )
        before = EmailFrequency.IMMEDIATE.value if created else preference.email_frequency
        if before == email_frequency:
            return preference
        preference.email_frequency = email_frequency
        preference.save(update_fields=["email_frequency"])
        pending = Notification.objects.filter(
            recipient_id=user.pk, emailed_at__isnull=True, email_skipped=False
        )
        if email_frequency == EmailFrequency.OFF:
            pending.update(email_skipped=True)
        elif email_frequency == EmailFrequency.IMMEDIATE and pending.exists():
            enqueue_on_commit(send_daily_digest, user.pk)
        audit_record(
            actor=actor or user,
            action="notification_preference.update",
            target=preference,
            before={"email_frequency": before},
            after={"email_frequency": email_frequency},
        )
    return preference
