"""Background tasks of the shared services, and the one idiom every app uses to queue work.

Every task takes ids (never model instances) and is safe to run twice: a task may be retried after a
partial failure, enqueued twice by two requests, or run by two workers at once.
"""

from __future__ import annotations

import datetime
import logging
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

logger = logging.getLogger(__name__)

#: Users looked at per query by the daily digest scheduler.
DIGEST_USER_BATCH = 500
#: A notification still not emailed this long after it was made lost its task (a worker killed after
#: dequeuing it: huey removes a task from the queue before running it). ``NOTIFICATION_EMAIL_REPAIR_AFTER``
#: (seconds) overrides it; older than the window, an email is no longer worth sending late.
EMAIL_REPAIR_AFTER = 600
EMAIL_REPAIR_WINDOW = datetime.timedelta(days=2)


def enqueue_on_commit(task, *args, using: str | None = None, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits (at once outside one).

    The one way every app queues background work, so a task never sees rows that were rolled back or not
    yet committed. Arguments must be plain values (ids, strings): a model instance would be pickled
    stale, so it is refused here rather than discovered in production.
    """
    for value in (*args, *kwargs.values()):
        if isinstance(value, models.Model):
            name = getattr(task, "name", task)
            raise TypeError(f"enqueue_on_commit({name!r}): pass ids, not model instances ({value!r})")
    transaction.on_commit(partial(task, *args, **kwargs), using=using)


def local_crontab(**fields):
    """A huey ``crontab`` read in the site's TIME_ZONE (Asia/Ho_Chi_Minh), not in UTC.

    Huey hands periodic validators UTC timestamps unless ``HUEY["utc"]`` is False, so a bare
    ``crontab(hour="7")`` would fire at 14:00 in Vietnam. This converts first, whatever that setting is.
    """
    check = crontab(**fields)

    def validate(timestamp: datetime.datetime) -> bool:
        if HUEY.utc:
            timestamp = (
                timestamp.replace(tzinfo=datetime.UTC)
                .astimezone(ZoneInfo(settings.TIME_ZONE))
                .replace(tzinfo=None)
            )
        return check(timestamp)

    return validate


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


@db_task(retries=5, retry_delay=60)
def send_notification_email(notification_id: int) -> bool:
    """Email one notification; a second run finds it already emailed and does nothing."""
    from .services import notification_email_send

    return notification_email_send(notification_id=notification_id)


@db_periodic_task(crontab(minute="*/10"))
def requeue_lost_notification_emails() -> int:
    """Every 10 minutes: queue again the emails whose task was lost (see ``EMAIL_REPAIR_AFTER``).

    Safe alongside a task that is merely late: ``notification_email_send`` claims the row before sending,
    so a notification queued twice is emailed once. A worker killed between that claim and the send
    leaves a claim without ``email_sent_at``; once it is older than ``NOTIFICATION_EMAIL_LEASE`` this job
    queues the email again, and a mail that did go out (``email_sent_at`` set) is never queued again.
    """
    from django.utils import timezone

    from .selectors import notification_lost_email_id_batches

    now = timezone.now()
    after = datetime.timedelta(
        seconds=getattr(settings, "NOTIFICATION_EMAIL_REPAIR_AFTER", EMAIL_REPAIR_AFTER)
    )
    queued = 0
    for ids in notification_lost_email_id_batches(
        created_before=now - after, created_after=now - EMAIL_REPAIR_WINDOW, batch_size=DIGEST_USER_BATCH
    ):
        for notification_id in ids:
            send_notification_email(notification_id)
        queued += len(ids)
    if queued:
        logger.warning("Queued %s notification emails again (their tasks were lost)", queued)
    return queued


@db_task(retries=3, retry_delay=300)
def send_daily_digest(user_id: int) -> int:
    """Email one user's digest; a second run finds nothing left to send."""
    from .services import digest_send_for_user

    return digest_send_for_user(user_id=user_id)


@db_periodic_task(local_crontab(hour="7", minute="0"))
def send_daily_digests() -> int:
    """Every morning at 07:00 (Vietnam): queue one digest task per user who chose the daily digest.

    Users are read in id order, ``DIGEST_USER_BATCH`` per query, only those with something to send. Each
    user gets its own task so one failing mailbox is retried alone and does not stop the others.
    """
    from .selectors import digest_user_id_batches

    queued = 0
    for user_ids in digest_user_id_batches(batch_size=DIGEST_USER_BATCH):
        for user_id in user_ids:
            send_daily_digest(user_id)
        queued += len(user_ids)
    logger.info("Queued %s daily digests", queued)
    return queued


@db_periodic_task(local_crontab(hour="2", minute="30"))
def backup_nightly() -> str:
    """Every night at 02:30 (Vietnam): back up the database and media into ``BACKUP_DIR``, keeping the
    newest ``BACKUP_KEEP``. Off when ``BACKUP_ENABLED`` is false (e.g. when the host snapshots instead).
    Not retried: a failed night is logged and the next night makes a complete one."""
    if not getattr(settings, "BACKUP_ENABLED", True):
        return ""
    from .backup import backup_create

    path = backup_create()
    logger.info("Backup written to %s", path)
    return str(path)
