"""The moderation queue in the Wagtail admin: who gets in, filters, and decisions through the services."""

import pytest
from django.urls import reverse

from exchange.core.models import AuditLog, Notification
from listings import services
from listings.lifecycle import ListingState
from listings.models import ListingRevision, RevisionState

pytestmark = pytest.mark.django_db

INDEX = "listing-moderation:index"


def review_url(listing):
    return reverse("listing-moderation:review", args=[listing.pk])


@pytest.fixture
def awaiting(make_listing):
    return make_listing(state=ListingState.AWAITING_MODERATION)


@pytest.mark.parametrize(
    "who,expected",
    [("moderator", 200), ("staff", 200), ("tto", 302), ("owner", 302), ("stranger", 302)],
)
def test_queue_is_for_moderators_and_staff(client, people, awaiting, who, expected):
    client.force_login(people[who])
    assert client.get(reverse(INDEX)).status_code == expected


def test_anonymous_is_sent_to_login(client, awaiting):
    response = client.get(reverse(INDEX))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_queue_lists_waiting_listings_not_drafts_and_filters(client, people, make_listing, awaiting):
    draft = make_listing(title_vi="Bản nháp bí mật")
    other = make_listing(state=ListingState.AWAITING_MODERATION, organization=people.other_org)
    client.force_login(people.moderator)
    html = client.get(reverse(INDEX)).content.decode()
    assert awaiting.title_vi in html
    assert draft.title_vi not in html
    filtered = client.get(reverse(INDEX), {"organization": people.other_org.pk}).content.decode()
    assert other.title_vi in filtered
    assert awaiting.title_vi not in filtered
    by_state = client.get(reverse(INDEX), {"state": "published"}).content.decode()
    assert awaiting.title_vi not in by_state


def test_moderator_publishes_from_review(client, people, awaiting):
    client.force_login(people.moderator)
    assert client.get(review_url(awaiting)).status_code == 200
    response = client.post(review_url(awaiting), {"action": "publish"})
    assert response.status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.state == ListingState.PUBLISHED
    assert AuditLog.objects.filter(action="listing.publish", target_id=str(awaiting.pk)).exists()
    assert Notification.objects.filter(recipient=people.owner).exists()
    from django.contrib.messages import get_messages

    # the moderator is told what happened in words, not with the action's code
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Đã đăng tin."]


def test_send_back_needs_a_reason_and_shows_the_error(client, people, awaiting):
    client.force_login(people.moderator)
    response = client.post(review_url(awaiting), {"action": "send_back", "reason": ""}, follow=True)
    awaiting.refresh_from_db()
    assert awaiting.state == ListingState.AWAITING_MODERATION
    assert response.status_code == 200
    client.post(review_url(awaiting), {"action": "send_back", "reason": "Thiếu số bằng sáng chế"})
    awaiting.refresh_from_db()
    assert awaiting.state == ListingState.DRAFT
    assert awaiting.sent_back_reason == "Thiếu số bằng sáng chế"


def test_non_moderator_cannot_post_decisions(client, people, awaiting):
    client.force_login(people.tto)
    response = client.post(review_url(awaiting), {"action": "publish"})
    assert response.status_code in (302, 403)
    awaiting.refresh_from_db()
    assert awaiting.state == ListingState.AWAITING_MODERATION


def test_drafts_are_not_reviewable(client, people, make_listing):
    client.force_login(people.moderator)
    # LocaleMiddleware retries a 404 under the language prefix, where it 404s again.
    response = client.get(review_url(make_listing()), follow=True)
    assert response.status_code == 404


def test_revision_differences_shown_and_approved(client, people, make_listing):
    live = make_listing(published=True, title_vi="Tên cũ")
    revision = services.revision_submit(actor=people.owner, listing=live, data={"title_vi": "Tên mới"})
    if revision.stage == "tto":
        services.revision_tto_approve(actor=people.tto, revision=revision)
    client.force_login(people.moderator)
    html = client.get(review_url(live)).content.decode()
    assert "Tên cũ" in html and "Tên mới" in html
    client.post(review_url(live), {"action": "revision_approve", "revision": revision.pk})
    live.refresh_from_db()
    assert live.title_vi == "Tên mới"
    assert ListingRevision.objects.get(pk=revision.pk).state == RevisionState.APPROVED
