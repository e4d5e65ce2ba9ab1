"""The notification email's claim, lease and proof of sending (issue #11), without a worker: the real
locmem mail outbox and the real database. The killed-worker case runs in ``test_fault_worker``."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from exchange.core.models import Notification
from exchange.core.selectors import notification_lost_email_id_batches
from exchange.core.services import notification_email_send, notify

pytestmark = pytest.mark.django_db
CONTEXT = {"organization": "Viện A", "user": "B", "role": "member"}


@pytest.fixture
def notification(make_user, django_capture_on_commit_callbacks):
    user = make_user(language="en")
    with django_capture_on_commit_callbacks(execute=False):  # no immediate task: we send by hand
        return notify(recipient=user, kind="membership_requested", context=CONTEXT)


def _lost(**extra):
    now = timezone.now()
    batches = notification_lost_email_id_batches(
        created_before=now + dt.timedelta(seconds=1), created_after=now - dt.timedelta(days=2), **extra
    )
    return [pk for ids in batches for pk in ids]


def test_sent_once_and_recorded(notification):
    assert notification_email_send(notification_id=notification.pk) is True
    notification.refresh_from_db()
    assert notification.emailed_at and notification.email_sent_at
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert _lost(claimed_before=timezone.now() + dt.timedelta(hours=1)) == []  # never requeued once sent


def test_a_fresh_claim_is_respected_and_a_lapsed_one_is_sent_again(notification, settings):
    claimed = timezone.now() - dt.timedelta(seconds=60)
    Notification.objects.filter(pk=notification.pk).update(emailed_at=claimed)  # a worker is sending
    settings.NOTIFICATION_EMAIL_LEASE = 900
    assert _lost() == []
    assert notification_email_send(notification_id=notification.pk) is False and mail.outbox == []

    settings.NOTIFICATION_EMAIL_LEASE = 30  # that worker is now taken for dead
    assert _lost() == [notification.pk]
    assert notification_email_send(notification_id=notification.pk) is True
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at > claimed and notification.email_sent_at is not None


def test_a_failed_send_releases_the_claim(notification, settings):
    settings.EMAIL_BACKEND = "exchange.core.tests.test_email_lease.BrokenBackend"
    with pytest.raises(ConnectionError):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None and notification.email_sent_at is None


class BrokenBackend:
    """The mail server refuses the connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("mail server down")
