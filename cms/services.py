"""Writes of the public site: event registrations with a capacity and a waiting list.

The event row is locked (``select_for_update``) for the whole decision, so two people taking the last
seat at once cannot both be confirmed; a cancellation promotes the first person waiting in the same
transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exchange.core.services import audit_record, notify
from exchange.core.tasks import absolute_url, enqueue_on_commit

from .models import EventPage, EventRegistration, RegistrationStatus


def _locked_event(event: EventPage) -> EventPage:
    return EventPage.objects.select_for_update().get(pk=event.canonical().pk)


def _confirmed_count(event: EventPage) -> int:
    return EventRegistration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def _notify(registration: EventRegistration, kind: str) -> None:
    """Someone with an account gets an in-app notification (emailed as they chose); a guest gets an
    email with the cancel link and the calendar file, queued after commit."""
    if registration.user_id:
        event = registration.event
        notify(
            recipient=registration.user,
            kind=kind,
            context={"event": event.title, "start": _when(event.start)},
            url=event.url or "",
            target=registration,
        )
    else:
        from .tasks import send_event_registration_email

        enqueue_on_commit(send_event_registration_email, registration.pk)


def event_register(
    *,
    event: EventPage,
    name: str,
    email: str,
    organization_name: str = "",
    phone: str = "",
    user=None,
    language: str = "vi",
    now=None,
) -> EventRegistration:
    """Register for an event: confirmed while seats remain, otherwise on the waiting list.

    ``language`` is the language of the page used; a guest's emails are written in it."""
    now = now or timezone.now()
    language = language if language in dict(settings.LANGUAGES) else "vi"
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name or not email:
        raise ValidationError(_("Cần họ tên và thư điện tử."))
    with transaction.atomic():
        locked = _locked_event(event)
        if not locked.registration_open(now):
            raise ValidationError(_("Sự kiện không còn nhận đăng ký."))
        if (
            EventRegistration.objects.filter(event=locked, email__iexact=email)
            .exclude(status=RegistrationStatus.CANCELLED)
            .exists()
        ):
            raise ValidationError(_("Địa chỉ thư điện tử này đã đăng ký sự kiện."))
        status = (
            RegistrationStatus.CONFIRMED
            if _confirmed_count(locked) < locked.capacity
            else RegistrationStatus.WAITLISTED
        )
        registration = EventRegistration.objects.create(
            event=locked,
            user=user if user is not None and user.is_authenticated else None,
            name=name[:200],
            email=email,
            organization_name=(organization_name or "").strip()[:300],
            phone=(phone or "").strip()[:30],
            status=status,
            language=language,
        )
        audit_record(
            actor=user,
            action="event_registration.create",
            target=registration,
            after={"status": status, "event": locked.pk},
        )
        _notify(
            registration,
            "event_registration_confirmed"
            if status == RegistrationStatus.CONFIRMED
            else "event_registration_waitlisted",
        )
    return registration


def event_registration_cancel(
    *, registration: EventRegistration, actor=None, now=None
) -> EventRegistration | None:
    """Cancel a registration; a freed seat goes to the first person waiting. Returns who was promoted."""
    now = now or timezone.now()
    with transaction.atomic():
        locked_event = EventPage.objects.select_for_update().get(pk=registration.event_id)
        registration = EventRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == RegistrationStatus.CANCELLED:
            return None
        before = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        audit_record(
            actor=actor,
            action="event_registration.cancel",
            target=registration,
            before={"status": before},
            after={"status": RegistrationStatus.CANCELLED},
        )
        promoted = None
        if before == RegistrationStatus.CONFIRMED and _confirmed_count(locked_event) < locked_event.capacity:
            promoted = (
                EventRegistration.objects.select_for_update()
                .filter(event=locked_event, status=RegistrationStatus.WAITLISTED)
                .order_by("created_at", "id")
                .first()
            )
            if promoted is not None:
                promoted.status = RegistrationStatus.CONFIRMED
                promoted.promoted_at = now
                promoted.save(update_fields=["status", "promoted_at"])
                audit_record(
                    actor=actor,
                    action="event_registration.promote",
                    target=promoted,
                    before={"status": RegistrationStatus.WAITLISTED},
                    after={"status": RegistrationStatus.CONFIRMED},
                )
                _notify(promoted, "event_registration_promoted")
    return promoted


# --- Emails to guests -----------------------------------------------------------------------------------
#: (status now, status last emailed) → the notification kind whose text the email carries.
_GUEST_EMAIL_KINDS = {
    (RegistrationStatus.CONFIRMED, ""): "event_registration_confirmed",
    (RegistrationStatus.WAITLISTED, ""): "event_registration_waitlisted",
    (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED): "event_registration_promoted",
}


def _page_in(event: EventPage, language: str) -> EventPage:
    """The event page in the guest's language when it has a live translation, else the event itself."""
    from wagtail.models import Locale

    if event.locale.language_code == language:
        return event
    locale = Locale.objects.filter(language_code=language).first()
    translated = event.get_translation_or_none(locale) if locale is not None else None
    return translated.specific if translated is not None and translated.live else event


def event_registration_email_send(*, registration_id: int) -> bool:
    """Email a guest (no account) what happened to their registration: confirmed, waiting list, or
    promoted from it — with the cancel link and the event's ``.ics`` attached.

    Which email follows from the row (its status and the status last emailed), so a second run sends
    nothing. The row is claimed (``emailed_status`` set) before the mail goes out and released if sending
    fails, so the task's retry sends it later; no lock is held while talking to the mail server.
    People with an account are told through their notifications instead."""
    from exchange.core.notifications import KINDS

    from .ics import event_ics

    registration = EventRegistration.objects.select_related("event").filter(pk=registration_id).first()
    if registration is None or registration.user_id:
        return False
    previous = registration.emailed_status
    kind = _GUEST_EMAIL_KINDS.get((registration.status, previous))
    if kind is None:
        return False
    claimed = EventRegistration.objects.filter(
        pk=registration.pk, status=registration.status, emailed_status=previous
    ).update(emailed_status=registration.status)
    if not claimed:
        return False
    try:
        language = registration.language if registration.language in dict(settings.LANGUAGES) else "vi"
        page = _page_in(registration.event, language)
        context = {"event": page.title, "start": _when(page.start)}
        subject, text = KINDS[kind].render(language, context)
        page_url = page.get_url() or ""
        cancel_path = page_url + page.reverse_subpage("cancel", args=[registration.token])
        template = select_template(
            [f"cms/email/event_registration.{language}.txt", "cms/email/event_registration.vi.txt"]
        )
        with translation.override(language):
            body = template.render(
                {
                    "registration": registration,
                    "text": text,
                    "event": page,
                    "start": context["start"],
                    "end": _when(page.end),
                    "place": ", ".join(p for p in (page.venue, page.address) if p),
                    "event_url": absolute_url(page_url),
                    "cancel_url": absolute_url(cancel_path),
                    "calendar_url": absolute_url(page_url + page.calendar_path),
                    "waitlisted": registration.status == RegistrationStatus.WAITLISTED,
                    "site_url": absolute_url("/"),
                }
            )
        message = EmailMessage(" ".join(subject.split())[:300], body, None, [registration.email])
        message.attach(f"{page.slug}.ics", event_ics(page), "text/calendar; charset=utf-8; method=PUBLISH")
        message.send()
    except Exception:
        EventRegistration.objects.filter(pk=registration.pk, emailed_status=registration.status).update(
            emailed_status=previous
        )
        raise
    return True
