"""Event registration: capacity, waiting list, cancellation promotes the first waiting, .ics file."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms import services
from cms.models import EventRegistration, RegistrationStatus
from exchange.accounts.tests.factories import UserFactory
from exchange.core.models import AuditLog, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def reg(event, n, **kw):
    return services.event_register(event=event, name=f"Người {n}", email=f"p{n}@example.vn", **kw)


def test_capacity_then_waiting_list_then_promotion_in_order(make_event):
    event = make_event(capacity=2)
    a, b, c, d = (reg(event, i) for i in range(4))
    assert [r.status for r in (a, b, c, d)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    promoted = services.event_registration_cancel(registration=b)
    assert promoted.pk == c.pk
    c.refresh_from_db(), d.refresh_from_db(), b.refresh_from_db()
    assert (b.status, c.status, d.status) == ("cancelled", "confirmed", "waitlisted")
    assert c.promoted_at is not None
    assert EventRegistration.objects.filter(event=event, status="confirmed").count() == 2
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"event_registration.create", "event_registration.cancel", "event_registration.promote"} <= actions


def test_cancelling_a_waiting_registration_promotes_nobody_and_is_idempotent(make_event):
    event = make_event(capacity=1)
    reg(event, 1)
    waiting = reg(event, 2)
    assert services.event_registration_cancel(registration=waiting) is None
    assert services.event_registration_cancel(registration=waiting) is None
    assert EventRegistration.objects.get(pk=waiting.pk).status == "cancelled"


def test_same_email_twice_refused_but_allowed_after_cancelling(make_event):
    event = make_event()
    first = reg(event, 1)
    with pytest.raises(ValidationError):
        services.event_register(event=event, name="X", email="P1@example.vn")
    services.event_registration_cancel(registration=first)
    assert reg(event, 1).status == "confirmed"


def test_closed_registration_refused(make_event):
    past_deadline = make_event(slug="closed", registration_deadline=timezone.now() - dt.timedelta(hours=1))
    disabled = make_event(slug="disabled", registration_enabled=False)
    for event in (past_deadline, disabled):
        with pytest.raises(ValidationError):
            reg(event, 9)


def test_signed_in_registrant_is_notified_of_promotion(make_event):
    event = make_event(capacity=1)
    first = reg(event, 1)
    user = UserFactory()
    waiting = services.event_register(event=event, name="Chờ", email=user.email, user=user)
    assert Notification.objects.filter(recipient=user, kind="event_registration_waitlisted").exists()
    services.event_registration_cancel(registration=first)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert Notification.objects.filter(recipient=user, kind="event_registration_promoted").exists()


def test_event_page_register_and_cancel_through_the_site(client, make_event):
    event = make_event(capacity=1)
    url = event.url
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="{url}register/"' in html and "0 / 1" in html
    response = client.post(url + "register/", {"name": "Lê Thị Hoa", "email": "hoa@example.vn"})
    assert response.status_code == 302
    registration = EventRegistration.objects.get(email="hoa@example.vn")
    assert registration.status == "confirmed"
    follow = client.get(url)
    cancel_url = f"{url}cancel/{registration.token}/"
    assert cancel_url in follow.content.decode()
    # A second person only gets the waiting list.
    other = client.post(url + "register/", {"name": "B", "email": "b@example.vn"}, follow=True)
    assert "danh sách chờ" in other.content.decode()
    # Invalid form re-renders with errors.
    bad = client.post(url + "register/", {"name": "", "email": "not-an-email"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert client.get(cancel_url).status_code == 200
    assert client.post(cancel_url).status_code == 302
    assert EventRegistration.objects.get(email="b@example.vn").status == "confirmed"
    assert client.get(f"{url}cancel/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_ics_calendar_file(client, make_event):
    event = make_event(title="Ngày trình diễn, công nghệ; 2026", online_url="https://meet.example.vn/x")
    response = client.get(event.url + "calendar/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "BEGIN:VEVENT" in body and body.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Ngày trình diễn\\, công nghệ\\; 2026" in body
    assert f"DTSTART:{event.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in body
    assert f"UID:event-{event.translation_key}@" in body
    for line in body.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75


def test_translation_shares_the_registration_list(i18n, make_event):
    from wagtail.models import Locale

    event = make_event(capacity=1)
    english = event.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True)
    english.save_revision().publish()
    english = english.specific
    assert english.canonical().pk == event.pk
    reg(event, 1)
    assert services.event_register(event=english, name="En", email="en@example.vn").status == "waitlisted"
    assert EventRegistration.objects.filter(event=event).count() == 2


def test_event_needs_place_or_link_and_end_after_start(make_event):
    from cms.models import EventPage

    start = timezone.now()
    page = EventPage(title="X", slug="x", start=start, end=start - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as exc:
        page.full_clean()
    assert "end" in exc.value.message_dict and "venue" in exc.value.message_dict
