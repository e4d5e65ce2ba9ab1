import datetime
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from exchange.accounts.tests.factories import OrganizationFactory
from exchange.core.models import AuditLog, EmailFrequency, Notification, NotificationPreference
from exchange.core.services import (
    audit_record,
    digest_send_for_user,
    notification_email_send,
    notification_preference_set,
    notify,
)
from exchange.core.tasks import enqueue_on_commit, local_crontab, send_notification_email

pytestmark = pytest.mark.django_db

MEMBERSHIP_CONTEXT = {"organization": "ĐH Bách khoa", "user": "Trần Thị B", "role": "TTO"}


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPException("mail server down")


# --- audit ------------------------------------------------------------------------------------------


def test_audit_record_outside_a_request_is_system_without_ip():
    org = OrganizationFactory()
    row = audit_record(
        action="organization.verify", target=org, before={"verified": False}, after={"verified": True}
    )
    row.refresh_from_db()
    assert row.actor is None and row.actor_repr == "system"
    assert row.ip_address is None
    assert row.target == org and row.target_repr == str(org)
    assert row.before == {"verified": False} and row.after == {"verified": True}


def test_audit_record_explicit_ip_and_data(vi_user):
    row = audit_record(actor=vi_user, action="x.y", data={"n": 1}, ip="198.51.100.4")
    assert row.actor == vi_user and row.actor_repr == vi_user.email
    assert row.ip_address == "198.51.100.4" and row.data == {"n": 1}


def test_audit_record_rolls_back_with_the_change(vi_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=vi_user, action="x.y")
        raise RuntimeError
    assert not AuditLog.objects.exists()


def test_audit_row_from_a_request_records_actor_ip_before_after(client, vi_user):
    """Through the real middleware stack: the IP comes from RequestContextMiddleware."""
    client.force_login(vi_user)
    response = client.post(
        reverse("notifications:preferences"), {"email_frequency": "daily"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302
    row = AuditLog.objects.get(action="notification_preference.update")
    assert row.actor == vi_user
    assert row.ip_address == "203.0.113.7"
    assert row.before == {"email_frequency": "immediate"}
    assert row.after == {"email_frequency": "daily"}
    assert row.target == vi_user.notification_preference


@pytest.mark.parametrize(
    "proxies,remote,forwarded,expected",
    [
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # compose.yaml's Caddy: its entry only
        (
            0,
            "203.0.113.7",
            "198.51.100.9",
            "203.0.113.7",
        ),  # the default: a header anyone sends proves nothing
    ],
)
def test_audit_ip_believes_only_trusted_proxies(
    client, vi_user, settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(vi_user)
    client.post(
        reverse("notifications:preferences"),
        {"email_frequency": "off"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert AuditLog.objects.get(action="notification_preference.update").ip_address == expected


# --- notify -----------------------------------------------------------------------------------------


def test_notify_renders_in_the_recipients_language(vi_user, en_user):
    vi = notify(recipient=vi_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    en = notify(recipient=en_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    assert vi.language == "vi" and vi.subject == "Yêu cầu tham gia ĐH Bách khoa"
    assert en.language == "en" and en.subject == "Request to join ĐH Bách khoa"
    assert "asks to join" in en.body


def test_notify_refuses_unknown_kind(vi_user):
    with pytest.raises(ValueError):
        notify(recipient=vi_user, kind="nope")


def test_shared_kinds_still_render(vi_user):
    generic = notify(
        recipient=vi_user,
        kind="generic",
        context={"subject_vi": "Xin chào\nbạn", "subject_en": "Hi", "body_vi": "Nội dung", "body_en": "Body"},
        target=vi_user,
    )
    assert generic.subject == "Xin chào bạn"  # one line, as an email subject must be
    assert generic.target == vi_user
    decided = notify(
        recipient=vi_user,
        kind="membership_decided",
        context={"organization": "Viện A", "decision_vi": "chấp thuận", "decision_en": "approved"},
    )
    assert decided.subject == "Yêu cầu tham gia Viện A: chấp thuận"


def test_immediate_email_is_sent_after_commit_in_the_recipients_language(
    en_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(
            recipient=en_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT, url="/en/account/"
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [en_user.email]
    assert message.subject == "Request to join ĐH Bách khoa"
    assert "Details: http://" in message.body and "/en/account/" in message.body
    assert "/en/notifications/preferences/" in message.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_vi_email_uses_vietnamese_template(vi_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=vi_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    assert "Thay đổi cách nhận email" in mail.outbox[0].body
    assert "/vi/notifications/preferences/" in mail.outbox[0].body


def test_daily_preference_waits_for_the_digest(daily_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(recipient=daily_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    assert callbacks == [] and mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None and not notification.email_skipped
    assert digest_send_for_user(user_id=daily_user.pk) == 1
    assert len(mail.outbox) == 1


def test_off_preference_never_emails(make_user, django_capture_on_commit_callbacks):
    user = make_user(frequency=EmailFrequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    assert notification.email_skipped
    assert digest_send_for_user(user_id=user.pk) == 0
    assert send_notification_email.call_local(notification.pk) is False
    assert mail.outbox == []
    # The in-app notification is still there.
    assert Notification.objects.filter(recipient=user).count() == 1


def test_email_task_is_idempotent(vi_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(recipient=vi_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    callbacks[0]()
    callbacks[0]()  # the same queued task delivered twice
    send_notification_email(notification.pk)  # and enqueued once more (immediate mode runs it)
    assert len(mail.outbox) == 1


def test_failed_send_releases_the_claim_so_a_retry_sends(
    vi_user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notification = notify(recipient=vi_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"
    with pytest.raises(SMTPException):
        notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_email_send(notification_id=notification.pk) is True
    assert len(mail.outbox) == 1


def test_immediate_task_respects_a_preference_changed_since(vi_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(recipient=vi_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    NotificationPreference.objects.create(user=vi_user, email_frequency=EmailFrequency.DAILY)
    callbacks[0]()
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None  # still waiting for the digest


# --- preferences --------------------------------------------------------------------------------------


def test_leaving_the_digest_for_immediate_sends_what_was_waiting(
    daily_user, django_capture_on_commit_callbacks
):
    notify(recipient=daily_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    notify(recipient=daily_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    with django_capture_on_commit_callbacks(execute=True):
        notification_preference_set(user=daily_user, email_frequency=EmailFrequency.IMMEDIATE)
    assert len(mail.outbox) == 1
    assert "(2)" in mail.outbox[0].subject
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_turning_email_off_skips_what_was_waiting(daily_user):
    notification = notify(recipient=daily_user, kind="membership_requested", context=MEMBERSHIP_CONTEXT)
    notification_preference_set(user=daily_user, email_frequency=EmailFrequency.OFF)
    notification.refresh_from_db()
    assert notification.email_skipped
    assert digest_send_for_user(user_id=daily_user.pk) == 0


def test_preference_set_validates_and_audits_only_changes(vi_user):
    with pytest.raises(Exception, match="frequency"):
        notification_preference_set(user=vi_user, email_frequency="hourly")
    notification_preference_set(user=vi_user, email_frequency=EmailFrequency.IMMEDIATE)
    assert not AuditLog.objects.exists()  # unchanged: default was already immediate
    notification_preference_set(user=vi_user, email_frequency=EmailFrequency.DAILY)
    assert AuditLog.objects.filter(action="notification_preference.update", actor=vi_user).count() == 1


# --- task helpers -------------------------------------------------------------------------------------


def test_enqueue_on_commit_runs_only_after_commit(django_capture_on_commit_callbacks):
    calls = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit(calls.append, 42)
        assert calls == []
    assert len(callbacks) == 1 and calls == [42]


def test_enqueue_on_commit_is_dropped_on_rollback(django_capture_on_commit_callbacks):
    calls = []
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_on_commit(calls.append, 1)
        raise RuntimeError
    assert callbacks == [] and calls == []


def test_enqueue_on_commit_refuses_model_instances(vi_user):
    with pytest.raises(TypeError, match="ids"):
        enqueue_on_commit(send_notification_email, vi_user)


def test_local_crontab_reads_vietnam_time():
    seven_local = local_crontab(hour="7", minute="0")
    # Huey (utc=True by default) passes naive UTC: 00:00 UTC is 07:00 in Ho Chi Minh City.
    assert seven_local(datetime.datetime(2026, 11, 23, 0, 0))
    assert not seven_local(datetime.datetime(2026, 11, 23, 7, 0))
