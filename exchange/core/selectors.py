"""Reads of the shared services: notification lists and counts, digest candidates, audit history."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from .models import AuditLog, EmailFrequency, Notification

PENDING_EMAIL = Q(emailed_at__isnull=True, email_skipped=False)


def notification_list_for_user(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, unread first, then newest first.

    Every view that touches a notification starts from here, so another user's row is simply not found.
    """
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    is_unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return qs.annotate(is_unread=is_unread).order_by("-is_unread", "-created_at", "-id")


def notification_unread_count(*, user) -> int:
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_email_frequency(*, user_id: int) -> str:
    """The user's email preference; users who never chose get emails at once."""
    from .models import NotificationPreference

    value = (
        NotificationPreference.objects.filter(user_id=user_id)
        .values_list("email_frequency", flat=True)
        .first()
    )
    return value or EmailFrequency.IMMEDIATE


def notification_pending_email_for_user(*, user_id: int) -> QuerySet[Notification]:
    """Notifications not yet emailed (and not skipped) for one user, oldest first."""
    return Notification.objects.filter(PENDING_EMAIL, recipient_id=user_id).order_by("created_at", "id")


def digest_user_id_batches(*, batch_size: int = 500) -> Iterator[list[int]]:
    """Ids of active users on the daily digest with something to send, ``batch_size`` per query.

    Keyset pagination on the primary key: one query per batch, no table loaded at once, and rows added
    while iterating cannot shift a page.
    """
    user_model = get_user_model()
    last_id = 0
    while True:
        ids = list(
            user_model.objects.filter(
                pk__gt=last_id,
                is_active=True,
                notification_preference__email_frequency=EmailFrequency.DAILY,
                notifications__emailed_at__isnull=True,
                notifications__email_skipped=False,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()[:batch_size]
        )
        if not ids:
            return
        yield ids
        if len(ids) < batch_size:
            return
        last_id = ids[-1]


def audit_log_for_object(*, target: models.Model, limit: int = 50) -> QuerySet[AuditLog]:
    """The latest audit rows about one object (e.g. for a history panel); uses the target index."""
    return (
        AuditLog.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        ).select_related("actor")
    )[:limit]


def notification_email_lease():
    """How long a worker's claim on an email (``Notification.emailed_at``) holds without the mail having
    gone out (``email_sent_at``); after that the worker is taken for dead and the email is sent again.
    Longer than a send can take (``EMAIL_TIMEOUT``), so a slow worker is not doubled."""
    import datetime

    from django.conf import settings

    return datetime.timedelta(seconds=int(getattr(settings, "NOTIFICATION_EMAIL_LEASE", 900)))


def notification_lost_email_id_batches(
    *, created_before, created_after, batch_size: int = 500, claimed_before=None
) -> Iterator[list[int]]:
    """Ids of notifications that should have been emailed at once but were not: created between the two
    times, not skipped, and either never claimed (their task was lost) or claimed before
    ``claimed_before`` (the lease) without the mail having gone out (the worker died mid-send); for a
    recipient who did not choose the daily digest (whose emails the digest carries). Keyset pages of
    ``batch_size``, one query each."""
    from django.utils import timezone

    if claimed_before is None:
        claimed_before = timezone.now() - notification_email_lease()
    qs = (
        Notification.objects.filter(
            Q(emailed_at__isnull=True) | Q(emailed_at__lt=claimed_before),
            email_sent_at__isnull=True,
            email_skipped=False,
            created_at__lt=created_before,
            created_at__gte=created_after,
        )
        .exclude(recipient__notification_preference__email_frequency=EmailFrequency.DAILY)
        .order_by("pk")
    )
    last_id = 0
    while True:
        ids = list(qs.filter(pk__gt=last_id).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        yield ids
        last_id = ids[-1]
