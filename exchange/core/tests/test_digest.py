from smtplib import SMTPException

import pytest
from django.core import mail

from exchange.core import services, tasks
from exchange.core.models import EmailFrequency, Notification
from exchange.core.selectors import digest_user_id_batches
from exchange.core.services import digest_send_for_user, notify

pytestmark = pytest.mark.django_db


def _notify(user, n=1, **kwargs):
    for i in range(n):
        notify(
            recipient=user,
            kind="generic",
            context={
                "subject_vi": f"Tin {i}",
                "subject_en": f"News {i}",
                "body_vi": "Nội dung",
                "body_en": "Body",
            },
            url=f"/vi/listings/{i}/",
            **kwargs,
        )


def test_digest_lists_pending_notifications_once_in_the_users_language(make_user):
    user = make_user(language="en", frequency=EmailFrequency.DAILY)
    _notify(user, 3)
    assert digest_send_for_user(user_id=user.pk) == 3
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your daily digest (3)"
    assert "You have 3 new notifications" in message.body
    for i in range(3):
        assert f"News {i}" in message.body
        assert f"/vi/listings/{i}/" in message.body
    assert "/en/notifications/preferences/" in message.body
    assert not Notification.objects.filter(recipient=user, emailed_at__isnull=True).exists()

    # Running it again sends nothing: everything is marked emailed.
    assert digest_send_for_user(user_id=user.pk) == 0
    assert len(mail.outbox) == 1


def test_digest_in_vietnamese_and_long_digest_is_truncated(daily_user, monkeypatch):
    monkeypatch.setattr(services, "DIGEST_MAX_LISTED", 2)
    _notify(daily_user, 5)
    assert digest_send_for_user(user_id=daily_user.pk) == 5
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Tổng hợp thông báo (5)"
    assert "và 3 thông báo khác" in body
    assert "Tin 4" in body and "Tin 0" not in body  # newest first
    assert Notification.objects.filter(recipient=daily_user, emailed_at__isnull=False).count() == 5


def test_failed_digest_is_released_for_the_retry(daily_user, settings):
    _notify(daily_user, 2)
    settings.EMAIL_BACKEND = "exchange.core.tests.test_services.FailingEmailBackend"
    with pytest.raises(SMTPException):
        digest_send_for_user(user_id=daily_user.pk)
    assert Notification.objects.filter(recipient=daily_user, emailed_at__isnull=True).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digest_send_for_user(user_id=daily_user.pk) == 2
    assert len(mail.outbox) == 1


def test_digest_for_missing_or_inactive_user_sends_nothing(make_user):
    inactive = make_user(frequency=EmailFrequency.DAILY, is_active=False)
    _notify(inactive)
    assert digest_send_for_user(user_id=inactive.pk) == 0
    assert digest_send_for_user(user_id=999_999) == 0
    assert mail.outbox == []


def test_periodic_digest_emails_daily_users_only_and_is_safe_to_run_twice(make_user, monkeypatch):
    monkeypatch.setattr(tasks, "DIGEST_USER_BATCH", 2)
    daily = [make_user(language=lang, frequency=EmailFrequency.DAILY) for lang in ("vi", "en", "vi")]
    nothing_pending = make_user(frequency=EmailFrequency.DAILY)
    immediate = make_user(frequency=EmailFrequency.IMMEDIATE)
    off = make_user(frequency=EmailFrequency.OFF)
    for user in daily:
        _notify(user, 2)
    _notify(off)
    # An immediate user's notification that was never emailed (e.g. the task is still queued).
    Notification.objects.create(recipient=immediate, kind="generic", subject="x", body="y")
    mail.outbox.clear()

    assert tasks.send_daily_digests.call_local() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in daily)
    assert {m.subject for m in mail.outbox} == {"Tổng hợp thông báo (2)", "Your daily digest (2)"}
    assert nothing_pending.email not in {m.to[0] for m in mail.outbox}

    assert tasks.send_daily_digests.call_local() == 0
    assert len(mail.outbox) == 3


def test_digest_users_are_read_one_query_per_batch(make_user, django_assert_num_queries):
    users = [make_user(frequency=EmailFrequency.DAILY) for _ in range(5)]
    for user in users:
        _notify(user, 2)  # two pending rows each: users must still come out once
    with django_assert_num_queries(3):
        batches = list(digest_user_id_batches(batch_size=2))
    assert batches == [[users[0].pk, users[1].pk], [users[2].pk, users[3].pk], [users[4].pk]]


def test_digest_is_registered_as_a_periodic_task():
    from huey.contrib.djhuey import HUEY

    periodic = {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert "send_daily_digests" in periodic
