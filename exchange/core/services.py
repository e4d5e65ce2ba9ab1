"""Audit and notification services: the one way every feature records and tells."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .middleware import current_ip
from .models import AuditLog


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
    """Write one audit row inside the caller's transaction (so it rolls back with the change)."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=actor,
        actor_repr=(actor.email if actor else "system")[:255],
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        ip_address=ip or current_ip(),
        before=before,
        after=after,
        data=data or {},
    )


def notify(
    *,
    recipient,
    kind: str,
    context: dict[str, Any] | None = None,
    url: str = "",
    target: models.Model | None = None,
):
    """Record an in-app notification in the recipient's language and queue its email after commit.

    The email respects the recipient's preference: sent at once, collected into the daily digest, or
    not sent. The task receives the notification id, never the object, and is safe to run twice.
    """
    from django.db import transaction

    from .models import EmailFrequency, Notification, NotificationPreference
    from .notifications import KINDS

    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    language = getattr(recipient, "language", "vi") or "vi"
    subject, body = KINDS[kind].render(language, {k: str(v) for k, v in (context or {}).items()})
    pref = NotificationPreference.objects.filter(user=recipient).values_list("email_frequency", flat=True)
    frequency = pref.first() or EmailFrequency.IMMEDIATE
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        language=language,
        subject=subject[:300],
        body=body,
        url=url,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        email_skipped=frequency == EmailFrequency.OFF,
    )
    if frequency == EmailFrequency.IMMEDIATE:
        from .tasks import send_notification_email

        notification_id = notification.pk
        transaction.on_commit(lambda: send_notification_email(notification_id))
    return notification
