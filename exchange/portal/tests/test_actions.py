"""Lifecycle buttons: shown only when the lifecycle allows them for this user, and they work."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.core.models import AuditLog
from exchange.portal.selectors import available_actions_for
from listings.lifecycle import ListingState
from listings.tests.factories import ListingFactory

S = ListingState


def action_url(listing, action):
    return reverse("portal:listing_action", args=[listing.pk, action])


def detail(client, listing):
    return client.get(reverse("portal:listing_detail", args=[listing.pk])).content.decode()


@pytest.mark.parametrize(
    "state, role, expected",
    [
        (S.DRAFT, "researcher", ["submit", "archive"]),
        (S.DRAFT, "tto", ["submit", "archive"]),
        (S.DRAFT, "moderator", ["archive"]),
        (S.SUBMITTED, "researcher", []),
        (S.SUBMITTED, "tto", ["tto_approve", "send_back"]),
        (S.SUBMITTED, "moderator", []),
        (S.AWAITING_MODERATION, "researcher", []),
        (S.AWAITING_MODERATION, "tto", []),
        (S.PUBLISHED, "researcher", ["renew", "close"]),
        (S.PUBLISHED, "tto", ["renew", "unpublish", "close"]),
        (S.PUBLISHED, "moderator", ["unpublish"]),
        (S.EXPIRED, "researcher", ["renew", "close", "archive"]),
        (S.CLOSED, "researcher", ["archive"]),
        (S.ARCHIVED, "researcher", []),
        (S.DRAFT, "other_tto", []),
        (S.PUBLISHED, "business", []),
    ],
)
def test_available_actions(people, state, role, expected):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, state=state)
    assert available_actions_for(people[role], listing) == expected


def test_buttons_follow_the_lifecycle(client, people, offer):
    client.force_login(people.researcher)
    page = detail(client, offer)
    assert action_url(offer, "submit") in page
    assert action_url(offer, "renew") not in page
    assert action_url(offer, "close") not in page
    offer.state = S.PUBLISHED
    offer.expires_at = timezone.now() + dt.timedelta(days=10)
    offer.save()
    page = detail(client, offer)
    assert action_url(offer, "submit") not in page
    assert action_url(offer, "renew") in page
    assert action_url(offer, "close") in page
    assert action_url(offer, "unpublish") not in page  # TTO managers and moderators only


def test_submit_goes_to_tto_then_tto_approves(client, people, offer, django_capture_on_commit_callbacks):
    client.force_login(people.researcher)
    response = client.post(action_url(offer, "submit"), follow=True)
    offer.refresh_from_db()
    assert offer.state == S.SUBMITTED
    assert "Đã gửi duyệt." in response.content.decode()
    assert "Tin đang chờ bộ phận chuyển giao (TTO) của tổ chức duyệt." in response.content.decode()
    # The researcher cannot approve their own listing.
    assert client.post(action_url(offer, "tto_approve")).status_code == 403
    client.force_login(people.tto)
    client.post(action_url(offer, "tto_approve"))
    offer.refresh_from_db()
    assert offer.state == S.AWAITING_MODERATION
    assert AuditLog.objects.filter(action="listing.tto_approve").exists()


def test_submit_incomplete_listing_shows_why(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, transaction_types=[])
    client.force_login(people.researcher)
    response = client.post(action_url(listing, "submit"), follow=True)
    listing.refresh_from_db()
    assert listing.state == S.DRAFT
    assert "Chọn ít nhất một hình thức giao dịch." in response.content.decode()


def test_sent_back_reason_is_shown(client, people, offer):
    offer.state = S.SUBMITTED
    offer.save()
    client.force_login(people.tto)
    response = client.post(action_url(offer, "send_back"), {"reason": ""}, follow=True)
    assert "Vui lòng nêu lý do trả lại." in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == S.SUBMITTED
    client.post(action_url(offer, "send_back"), {"reason": "Thiếu số bằng sáng chế."})
    offer.refresh_from_db()
    assert offer.state == S.DRAFT
    client.force_login(people.researcher)
    assert "Thiếu số bằng sáng chế." in detail(client, offer)
    mine = client.get(reverse("portal:my_listings")).content.decode()
    assert "Bị trả lại:" in mine and "Thiếu số bằng sáng chế." in mine
    edit = client.get(reverse("portal:listing_edit", args=[offer.pk])).content.decode()
    assert "Thiếu số bằng sáng chế." in edit


def test_renew_expired_listing_in_one_click(client, people):
    listing = ListingFactory(
        organization=people.org,
        created_by=people.researcher,
        state=S.EXPIRED,
        expires_at=timezone.now() - dt.timedelta(days=2),
        published_at=timezone.now() - dt.timedelta(days=400),
    )
    client.force_login(people.researcher)
    mine = client.get(reverse("portal:my_listings")).content.decode()
    assert action_url(listing, "renew") in mine
    response = client.post(action_url(listing, "renew"), {"next": reverse("portal:my_listings")})
    assert response["Location"] == reverse("portal:my_listings")
    listing.refresh_from_db()
    assert listing.state == S.PUBLISHED
    assert listing.expires_at > timezone.now() + dt.timedelta(days=300)


def test_close_and_archive(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, published=True)
    client.force_login(people.researcher)
    client.post(action_url(listing, "close"))
    listing.refresh_from_db()
    assert listing.state == S.CLOSED
    response = client.post(action_url(listing, "archive"))
    assert response["Location"] == reverse("portal:my_listings")
    listing.refresh_from_db()
    assert listing.state == S.ARCHIVED
    # Nothing more can be done with it.
    response = client.post(action_url(listing, "close"), follow=True)
    assert "Không thể đóng tin ở trạng thái" in response.content.decode()


def test_wrong_person_gets_403_and_nothing_changes(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, published=True)
    client.force_login(people.moderator)
    assert client.post(action_url(listing, "renew")).status_code == 403
    listing.refresh_from_db()
    assert listing.state == S.PUBLISHED


def test_unknown_action_is_404(client, people, offer):
    client.force_login(people.researcher)
    assert client.post(action_url(offer, "publish")).status_code == 404
    assert client.get(action_url(offer, "submit")).status_code == 405


def test_external_next_is_ignored(client, people, offer):
    client.force_login(people.researcher)
    response = client.post(action_url(offer, "submit"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:listing_detail", args=[offer.pk])
