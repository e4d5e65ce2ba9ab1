"""Background tasks of the shared services. Every task takes ids and is safe to run twice."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


@db_task(retries=5, retry_delay=60)
def send_notification_email(notification_id: int) -> bool:
    """Send one notification's email; a second run finds ``emailed_at`` set and does nothing."""
    from .models import Notification

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True, email_skipped=False)
            .first()
        )
        if notification is None or not notification.recipient.is_active:
            return False
        body = notification.body
        if notification.url:
            body += "\n\n" + absolute_url(notification.url)
        send_mail(notification.subject, body, None, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
