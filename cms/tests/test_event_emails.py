"""Guests (no account) who register for an event are emailed after commit, in the language they used:
confirmation or waiting list, then promotion, each with the cancel link and the ``.ics`` attached."""

import pytest
from django.conf import settings

from cms import services
from cms.models import EventRegistration, RegistrationStatus
from exchange.accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def register(client, url, name="Lê Thị Hoa", email="hoa@example.vn"):
    return client.post(url + "register/", {"name": name, "email": email, "organization_name": "HTX"})


def test_guest_gets_a_vietnamese_confirmation_with_cancel_link_and_calendar(
    client, make_event, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=5, address="799 Nguyễn Văn Linh")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert register(client, event.url).status_code == 302
        assert mailoutbox == []  # nothing leaves before the registration is committed
    assert len(callbacks) == 1
    registration = EventRegistration.objects.get(email="hoa@example.vn")
    assert registration.language == "vi" and registration.emailed_status == RegistrationStatus.CONFIRMED
    (message,) = mailoutbox
    assert message.to == ["hoa@example.vn"]
    assert message.subject == "Đã xác nhận chỗ: Techmart 2026"
    cancel = f"{settings.SITE_URL.rstrip('/')}{event.url}cancel/{registration.token}/"
    assert cancel in message.body
    assert message.body.startswith("Chào Lê Thị Hoa,")
    assert "SECC, Quận 7, 799 Nguyễn Văn Linh" in message.body
    (name, content, mimetype), *_ = message.attachments
    assert name == "techmart.ics" and mimetype.startswith("text/calendar")
    assert content.startswith("BEGIN:VCALENDAR") and "SUMMARY:Techmart 2026" in content
    # The link in the email cancels the registration.
    path = cancel.removeprefix(settings.SITE_URL.rstrip("/"))
    assert client.get(path).status_code == 200
    client.post(path)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_the_email_task_is_safe_to_run_twice(make_event, mailoutbox, django_capture_on_commit_callbacks):
    event = make_event()
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.event_register(event=event, name="A", email="a@example.vn")
    assert len(mailoutbox) == 1
    assert services.event_registration_email_send(registration_id=registration.pk) is False
    assert len(mailoutbox) == 1


def test_guest_who_registered_in_english_is_emailed_in_english(
    client, i18n, make_event, mailoutbox, django_capture_on_commit_callbacks
):
    from wagtail.models import Locale

    event = make_event()
    english = event.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True)
    english.title = "Techmart 2026 (English)"
    english.save_revision().publish()
    english = english.specific
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, english.url, name="Jane Doe", email="jane@example.com").status_code == 302
    registration = EventRegistration.objects.get(email="jane@example.com")
    assert registration.language == "en" and registration.event_id == event.pk  # the shared list
    (message,) = mailoutbox
    assert message.subject == "Your seat is confirmed: Techmart 2026 (English)"
    assert message.body.startswith("Dear Jane Doe,")
    assert f"{english.url}cancel/{registration.token}/" in message.body
    assert english.url.startswith("/en/")


def test_waiting_guest_is_emailed_then_told_of_the_promotion(
    make_event, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.event_register(event=event, name="A", email="a@example.vn")
        services.event_register(event=event, name="B", email="b@example.vn")
    assert [m.subject for m in mailoutbox] == [
        "Đã xác nhận chỗ: Techmart 2026",
        "Bạn đang trong danh sách chờ: Techmart 2026",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.event_registration_cancel(registration=first)
    assert len(mailoutbox) == 3
    promoted = mailoutbox[2]
    assert promoted.to == ["b@example.vn"] and promoted.subject == "Bạn đã có chỗ: Techmart 2026"
    second = EventRegistration.objects.get(email="b@example.vn")
    assert f"cancel/{second.token}/" in promoted.body and promoted.attachments
    assert services.event_registration_email_send(registration_id=second.pk) is False


def test_people_with_an_account_are_told_through_their_notifications_only(
    make_event, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.event_register(event=make_event(), name="U", email=user.email, user=user)
    assert [m.attachments for m in mailoutbox] == [[]]  # the notification email, no guest email
    assert registration.emailed_status == ""
    assert services.event_registration_email_send(registration_id=registration.pk) is False


def test_a_failed_send_is_released_for_the_retry(
    settings, make_event, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event()
    # A real SMTP connection to a loopback port where nothing listens: sending raises.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 8199, 2
    registration = services.event_register(event=event, name="A", email="a@example.vn")
    with pytest.raises(OSError):
        services.event_registration_email_send(registration_id=registration.pk)
    registration.refresh_from_db()
    assert registration.emailed_status == ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.event_registration_email_send(registration_id=registration.pk) is True
    assert len(mailoutbox) == 1
