"""Saved searches: saving from a list page, alerts when a matching listing is published (once), the daily
summary, managing them in the portal (owner only), and the as-you-type suggestions endpoint."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog, EmailFrequency, Notification, NotificationPreference
from listings import saved_searches as ss
from listings import services
from listings.lifecycle import ListingState
from listings.models import SavedSearch, SavedSearchHit, ScienceField, TransactionType

from .factories import ListingFactory, RequestListingFactory
from .public_helpers import site_context  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


@pytest.fixture
def buyer(db):
    return UserFactory(roles=["business"])


def awaiting(people, **kwargs):
    kwargs.setdefault("organization", people.org)
    kwargs.setdefault("created_by", people.owner)
    return ListingFactory(state=ListingState.AWAITING_MODERATION, **kwargs)


def publish(people, listing, capture):
    with capture(execute=True):
        services.listing_publish(actor=people.moderator, listing=listing)


def alerts(user):
    return Notification.objects.filter(recipient=user, kind="saved_search_match")


# --- saving --------------------------------------------------------------------------------------------
def test_save_keeps_valid_filters_only(buyer):
    saved = ss.saved_search_create(
        user=buyer,
        kind="offer",
        params={
            "q": " nước thải ",
            "field": "2.07",
            "trl_min": "4",
            "trl_max": "x",
            "sort": "title",
            "evil": "1",
        },
        frequency="daily",
    )
    # A range with one bad end is dropped whole, as on the list page; sort and unknown keys are not kept.
    assert saved.params == {"q": "nước thải", "field": "2.07"}
    assert saved.name == "nước thải"
    assert saved.frequency == "daily"
    assert AuditLog.objects.filter(action="saved_search.create", target_id=str(saved.pk)).exists()
    assert ss.run_url(saved).startswith(reverse("listings:technology_list") + "?")


def test_save_refuses_empty_anonymous_and_bad_values(buyer, people):
    with pytest.raises(ValidationError):
        ss.saved_search_create(user=buyer, kind="offer", params={"sort": "title"})
    with pytest.raises(PermissionDenied):
        ss.saved_search_create(user=people.anonymous, kind="offer", params={"q": "x"})
    with pytest.raises(ValidationError):
        ss.saved_search_create(user=buyer, kind="offer", params={"q": "x"}, frequency="hourly")
    with pytest.raises(ValidationError):
        ss.saved_search_create(user=buyer, kind="nothing", params={"q": "x"})


def test_save_from_the_list_page(client, buyer):
    path = reverse("listings:technology_list") + "?q=n%C6%B0%E1%BB%9Bc+th%E1%BA%A3i&field=2.07"
    client.force_login(buyer)
    body = client.get(path).content.decode()
    assert reverse("listings:saved_search_create") in body
    response = client.post(
        reverse("listings:saved_search_create"),
        {
            "kind": "offer",
            "q": "nước thải",
            "field": "2.07",
            "page": "3",
            "name": "Nước",
            "frequency": "immediate",
        },
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=buyer)
    assert saved.params == {"q": "nước thải", "field": "2.07"} and saved.name == "Nước"
    assert response["Location"] == ss.run_url(saved)


def test_save_needs_sign_in(client):
    response = client.post(reverse("listings:saved_search_create"), {"kind": "offer", "q": "x"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not SavedSearch.objects.exists()
    body = client.get(reverse("listings:technology_list") + "?q=abc").content.decode()
    assert "Đăng nhập để lưu tìm kiếm" in body


# --- alerts ----------------------------------------------------------------------------------------------
def test_alert_on_publish_of_a_matching_listing(people, buyer, django_capture_on_commit_callbacks):
    saved = ss.saved_search_create(
        user=buyer, kind="offer", params={"q": "nuoc thai det nhuom", "field": "2"}
    )
    listing = awaiting(people, title_vi="Xử lý nước thải dệt nhuộm bằng màng")
    publish(people, listing, django_capture_on_commit_callbacks)
    note = alerts(buyer).get()
    assert "Xử lý nước thải dệt nhuộm bằng màng" in note.subject and saved.name in note.subject
    assert note.url == listing.get_absolute_url()
    assert SavedSearchHit.objects.filter(
        saved_search=saved, listing=listing, notified_at__isnull=False
    ).exists()


def test_no_alert_for_non_matching(people, buyer, django_capture_on_commit_callbacks):
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "giống lúa chịu mặn"})
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải", "field": "4"})
    ss.saved_search_create(user=buyer, kind="request", params={"q": "nước thải"})
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải", "trl_min": "8"})
    ss.saved_search_create(
        user=buyer, kind="offer", params={"q": "nước thải", "transaction_type": TransactionType.ASSIGNMENT}
    )
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải", "price_max": "1000"})
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"}, frequency="off")
    publish(
        people, awaiting(people, title_vi="Xử lý nước thải dệt nhuộm"), django_capture_on_commit_callbacks
    )
    assert not alerts(buyer).exists()
    assert not SavedSearchHit.objects.exists()


def test_filters_only_search_matches(people, buyer, django_capture_on_commit_callbacks):
    ss.saved_search_create(
        user=buyer, kind="offer", params={"field": "2.07", "trl_min": "5", "trl_max": "7", "price_min": "1"}
    )
    publish(
        people,
        awaiting(
            people, trl=6, price_min=100_000_000, price_max=None, field=ScienceField.objects.get(code="2.07")
        ),
        django_capture_on_commit_callbacks,
    )
    assert alerts(buyer).count() == 1


def test_request_trl_filter_uses_wanted_range(people, buyer, django_capture_on_commit_callbacks):
    ss.saved_search_create(user=buyer, kind="request", params={"trl_min": "6", "trl_max": "9"})
    request = RequestListingFactory(
        state=ListingState.AWAITING_MODERATION, organization=people.org, trl_wanted_min=4, trl_wanted_max=7
    )
    publish(people, request, django_capture_on_commit_callbacks)
    assert alerts(buyer).count() == 1


def test_no_duplicate_alert_on_republish_or_edit(people, buyer, django_capture_on_commit_callbacks):
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"})
    listing = awaiting(people, title_vi="Xử lý nước thải")
    publish(people, listing, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_renew(actor=people.owner, listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_unpublish(actor=people.moderator, listing=listing, reason="Sửa")
    listing.state = ListingState.AWAITING_MODERATION
    listing.save(update_fields=["state"])
    publish(people, listing, django_capture_on_commit_callbacks)
    ss.saved_search_alerts_for_listing(listing_id=listing.pk)  # a retried task
    assert alerts(buyer).count() == 1
    assert SavedSearchHit.objects.count() == 1


def test_listing_published_before_the_search_was_saved_is_not_new(
    people, buyer, django_capture_on_commit_callbacks
):
    listing = awaiting(people, title_vi="Xử lý nước thải")
    publish(people, listing, django_capture_on_commit_callbacks)
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"})
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_renew(actor=people.owner, listing=listing)
    assert not alerts(buyer).exists()


def test_own_organisation_is_not_alerted(people, django_capture_on_commit_callbacks):
    colleague = MembershipFactory(organization=people.org).user
    ss.saved_search_create(user=colleague, kind="offer", params={"q": "nước thải"})
    ss.saved_search_create(user=people.owner, kind="offer", params={"q": "nước thải"})
    outsider = MembershipFactory(organization=OrganizationFactory()).user
    ss.saved_search_create(user=outsider, kind="offer", params={"q": "nước thải"})
    publish(people, awaiting(people, title_vi="Xử lý nước thải"), django_capture_on_commit_callbacks)
    assert not alerts(colleague).exists() and not alerts(people.owner).exists()
    assert alerts(outsider).count() == 1


def test_unpublished_listing_triggers_nothing(people, buyer):
    ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"})
    draft = ListingFactory(title_vi="Xử lý nước thải", organization=people.org)
    assert ss.saved_search_alerts_for_listing(listing_id=draft.pk) == 0
    assert not SavedSearchHit.objects.exists()


def test_daily_searches_are_summarised_once(people, buyer, django_capture_on_commit_callbacks):
    saved = ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"}, frequency="daily")
    NotificationPreference.objects.create(user=buyer, email_frequency=EmailFrequency.DAILY)
    publish(people, awaiting(people, title_vi="Xử lý nước thải A"), django_capture_on_commit_callbacks)
    publish(people, awaiting(people, title_vi="Xử lý nước thải B"), django_capture_on_commit_callbacks)
    assert not alerts(buyer).exists()
    assert SavedSearchHit.objects.filter(saved_search=saved, notified_at__isnull=True).count() == 2
    assert ss.saved_search_digests_send() == 1
    note = Notification.objects.get(recipient=buyer, kind="saved_search_digest")
    assert "2" in note.subject and saved.name in note.subject
    assert note.url == ss.run_url(saved)
    assert not note.email_skipped and note.emailed_at is None  # waits for the 07:00 email digest
    assert ss.saved_search_digests_send() == 0


def test_turning_alerts_off_drops_waiting_hits(people, buyer, django_capture_on_commit_callbacks):
    saved = ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"}, frequency="daily")
    publish(people, awaiting(people, title_vi="Xử lý nước thải"), django_capture_on_commit_callbacks)
    ss.saved_search_update(user=buyer, saved_search=saved, frequency="off")
    assert ss.saved_search_digests_send() == 0
    assert not Notification.objects.filter(recipient=buyer, kind="saved_search_digest").exists()


# --- managing ------------------------------------------------------------------------------------------
def test_only_the_owner_manages(buyer, people):
    saved = ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"})
    for user in (people.stranger, people.staff):
        with pytest.raises(PermissionDenied):
            ss.saved_search_update(user=user, saved_search=saved, name="x")
        with pytest.raises(PermissionDenied):
            ss.saved_search_delete(user=user, saved_search=saved)
    ss.saved_search_update(user=buyer, saved_search=saved, name="Nước thải mới", frequency="daily")
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("Nước thải mới", "daily")
    with pytest.raises(ValidationError):
        ss.saved_search_update(user=buyer, saved_search=saved, name="  ")
    ss.saved_search_delete(user=buyer, saved_search=saved)
    assert not SavedSearch.objects.exists()
    assert AuditLog.objects.filter(action="saved_search.delete").exists()


def test_portal_page_list_rename_delete_run(client, buyer, people):
    saved = ss.saved_search_create(user=buyer, kind="offer", params={"q": "nước thải"})
    mine = ss.saved_search_create(user=people.stranger, kind="offer", params={"q": "của người khác"})
    path = reverse("listings:saved_searches")
    assert client.get(path).status_code == 302  # anonymous: sign in
    client.force_login(buyer)
    body = client.get(path).content.decode()
    assert "nước thải" in body and "của người khác" not in body
    assert client.get(reverse("listings:saved_search_run", args=[saved.pk]))["Location"] == ss.run_url(saved)
    assert client.get(reverse("listings:saved_search_run", args=[mine.pk])).status_code == 404
    # Someone else's: 404, unchanged.
    assert client.post(path, {"saved_search": mine.pk, "name": "x"}).status_code == 404
    assert client.post(path, {"saved_search": mine.pk, "action": "delete"}).status_code == 404
    mine.refresh_from_db()
    assert mine.name == "của người khác"
    client.post(path, {"saved_search": saved.pk, "name": "Đổi tên", "frequency": "daily"})
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("Đổi tên", "daily")
    client.post(path, {"saved_search": saved.pk, "action": "delete"})
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


# --- suggestions ----------------------------------------------------------------------------------------
def test_suggest_endpoint(client, people):
    offer = ListingFactory(published=True, title_vi="Màng lọc nước thải dệt nhuộm", organization=people.org)
    ListingFactory(title_vi="Màng lọc nháp", organization=people.org)  # draft: never suggested
    request = RequestListingFactory(published=True, title_vi="Cần màng lọc nước", organization=people.org)
    path = reverse("listings:suggest")
    data = client.get(path, {"q": "mang loc"}).json()
    titles = {s["title"] for s in data["suggestions"]}
    assert titles == {"Màng lọc nước thải dệt nhuộm", "Cần màng lọc nước"}
    data = client.get(path, {"q": "mang lo", "kind": "offer"}).json()
    assert data["suggestions"] == [
        {"id": offer.pk, "title": "Màng lọc nước thải dệt nhuộm", "url": offer.get_absolute_url()}
    ]
    data = client.get(path, {"q": "mang", "kind": "request"}).json()
    assert [s["id"] for s in data["suggestions"]] == [request.pk]
    assert client.get(path, {"q": "m"}).json() == {"suggestions": []}
    assert client.get(path, {"q": "mang", "kind": "x"}).status_code == 400


def test_list_page_has_the_suggest_hooks(client):
    body = client.get(reverse("listings:technology_list")).content.decode()
    assert f'data-suggest-url="{reverse("listings:suggest")}"' in body
    assert 'data-suggest-kind="offer"' in body
    assert "listings/suggest.js" in body
