"""Writes of the public site: event registrations with a capacity and a waiting list.

The event row is locked (``select_for_update``) for the whole decision, so two people taking the last
seat at once cannot both be confirmed; a cancellation promotes the first person waiting in the same
transaction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core.services import audit_record, notify

from .models import EventPage, EventRegistration, RegistrationStatus


def _locked_event(event: EventPage) -> EventPage:
    return EventPage.objects.select_for_update().get(pk=event.canonical().pk)


def _confirmed_count(event: EventPage) -> int:
    return EventRegistration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()


def _notify(registration: EventRegistration, kind: str) -> None:
    if registration.user_id:
        event = registration.event
        notify(
            recipient=registration.user,
            kind=kind,
            context={
                "event": event.title,
                "start": timezone.localtime(event.start).strftime("%d/%m/%Y %H:%M"),
            },
            url=event.url or "",
            target=registration,
        )


def event_register(
    *,
    event: EventPage,
    name: str,
    email: str,
    organization_name: str = "",
    phone: str = "",
    user=None,
    now=None,
) -> EventRegistration:
    """Register for an event: confirmed while seats remain, otherwise on the waiting list."""
    now = now or timezone.now()
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
