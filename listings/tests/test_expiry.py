"""Reminders once per threshold, expiry by the scheduler, renewal, and the periodic tasks."""

import datetime as dt

import pytest
from django.utils import timezone

from exchange.core.models import AuditLog, Notification
from listings import services, tasks
from listings.lifecycle import ListingState
from listings.models import ListingExpiryReminder

S = ListingState


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.LISTING_EXPIRY_REMINDER_DAYS = [30, 7]
    settings.LISTING_VALIDITY_DAYS = 365


def reminders(user):
    return Notification.objects.filter(recipient=user, kind="listing_expiring")


@pytest.mark.django_db
def test_reminders_once_per_threshold(people, make_listing):
    now = timezone.now()
    listing = make_listing(published=True, expires_at=now + dt.timedelta(days=20))
    assert services.listing_expiry_reminders_send(now=now) == 1
    assert services.listing_expiry_reminders_send(now=now) == 0  # idempotent
    assert reminders(people.owner).count() == 1
    assert "20" in reminders(people.owner).get().subject

    later = now + dt.timedelta(days=14)  # 6 days left: the 7-day threshold
    assert services.listing_expiry_reminders_send(now=later) == 1
    assert services.listing_expiry_reminders_send(now=later + dt.timedelta(days=1)) == 0
    assert reminders(people.owner).count() == 2
    assert set(
        ListingExpiryReminder.objects.filter(listing=listing).values_list("days_before", flat=True)
    ) == {
        30,
        7,
    }
    assert AuditLog.objects.filter(action="listing.expiry_reminder").count() == 2


@pytest.mark.django_db
def test_listing_inside_several_windows_gets_one_reminder(people, make_listing):
    now = timezone.now()
    make_listing(published=True, expires_at=now + dt.timedelta(days=5))
    assert services.listing_expiry_reminders_send(now=now) == 1
    assert services.listing_expiry_reminders_send(now=now) == 0
    assert reminders(people.owner).count() == 1
    assert ListingExpiryReminder.objects.count() == 2


@pytest.mark.django_db
def test_no_reminder_far_from_expiry_or_when_not_published(people, make_listing):
    now = timezone.now()
    make_listing(published=True, expires_at=now + dt.timedelta(days=60))
    make_listing(state=S.UNPUBLISHED, expires_at=now + dt.timedelta(days=3))
    assert services.listing_expiry_reminders_send(now=now) == 0


@pytest.mark.django_db
def test_expiry_and_renewal_restart_the_reminders(people, make_listing):
    now = timezone.now()
    listing = make_listing(published=True, expires_at=now + dt.timedelta(days=3))
    services.listing_expiry_reminders_send(now=now)
    assert services.listings_expire_due(now=now) == 0  # not yet

    after = now + dt.timedelta(days=4)
    assert services.listings_expire_due(now=after) == 1
    assert services.listings_expire_due(now=after) == 0  # idempotent
    listing.refresh_from_db()
    assert listing.state == S.EXPIRED and listing.version == 2
    assert Notification.objects.filter(recipient=people.owner, kind="listing_expired").count() == 1

    services.listing_renew(actor=people.owner, listing=listing)
    listing.refresh_from_db()
    assert listing.state == S.PUBLISHED and listing.version == 3
    assert listing.expires_at > timezone.now() + dt.timedelta(days=364)
    # The new period gets its own reminders.
    assert services.listing_expiry_reminders_send(now=listing.expires_at - dt.timedelta(days=10)) == 1


@pytest.mark.django_db
def test_renew_a_live_listing_extends_it(people, make_listing):
    listing = make_listing(published=True, expires_at=timezone.now() + dt.timedelta(days=10))
    services.listing_renew(actor=people.owner, listing=listing)
    listing.refresh_from_db()
    assert listing.expires_at > timezone.now() + dt.timedelta(days=364)
    row = AuditLog.objects.get(action="listing.renew")
    assert row.data["expires_at_before"] is not None


@pytest.mark.django_db
def test_periodic_tasks_run(people, make_listing):
    now = timezone.now()
    due = make_listing(published=True, expires_at=now - dt.timedelta(hours=1))
    soon = make_listing(published=True, expires_at=now + dt.timedelta(days=6))
    tasks.expire_listings.call_local()
    tasks.send_listing_expiry_reminders.call_local()
    due.refresh_from_db()
    soon.refresh_from_db()
    assert due.state == S.EXPIRED
    assert soon.state == S.PUBLISHED
    assert reminders(people.owner).count() == 1
    # Twice is harmless.
    tasks.expire_listings.call_local()
    tasks.send_listing_expiry_reminders.call_local()
    assert reminders(people.owner).count() == 1
    assert Notification.objects.filter(kind="listing_expired").count() == 1
