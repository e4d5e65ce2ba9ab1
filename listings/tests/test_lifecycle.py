"""Every transition, allowed and refused, for every role; audit rows and notifications for each."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange.core.models import AuditLog, Notification
from listings import services
from listings.lifecycle import ListingState, NotPermitted, TransitionNotAllowed, WrongState

S = ListingState
ROLES = ["anonymous", "stranger", "owner", "other_member", "tto", "other_tto", "moderator", "staff"]


def _call(action, listing, actor):
    if action == "send_back":
        return services.listing_send_back(actor=actor, listing=listing, reason="Thiếu mô tả ưu điểm.")
    if action == "expire":
        return services.listing_expire(listing=listing, actor=actor)
    return getattr(services, f"listing_{action}")(actor=actor, listing=listing)


def _setup_state(state):
    extra = {"state": state}
    if state in (S.PUBLISHED, S.EXPIRED):
        extra.update(version=1, published_at=timezone.now() - dt.timedelta(days=400))
        extra["expires_at"] = timezone.now() + (
            dt.timedelta(days=100) if state == S.PUBLISHED else -dt.timedelta(days=1)
        )
    return extra


# action, source state, roles allowed, resulting state (owner's org has a TTO manager)
MATRIX = [
    ("submit", S.DRAFT, {"owner": S.SUBMITTED, "tto": S.AWAITING_MODERATION}),
    ("submit", S.UNPUBLISHED, {"owner": S.SUBMITTED, "tto": S.AWAITING_MODERATION}),
    ("tto_approve", S.SUBMITTED, {"tto": S.AWAITING_MODERATION}),
    ("send_back", S.SUBMITTED, {"tto": S.DRAFT, "moderator": S.DRAFT, "staff": S.DRAFT}),
    ("send_back", S.AWAITING_MODERATION, {"moderator": S.DRAFT, "staff": S.DRAFT}),
    ("publish", S.AWAITING_MODERATION, {"moderator": S.PUBLISHED, "staff": S.PUBLISHED}),
    ("unpublish", S.PUBLISHED, {"tto": S.UNPUBLISHED, "moderator": S.UNPUBLISHED, "staff": S.UNPUBLISHED}),
    ("renew", S.PUBLISHED, {"owner": S.PUBLISHED, "tto": S.PUBLISHED}),
    ("renew", S.EXPIRED, {"owner": S.PUBLISHED, "tto": S.PUBLISHED}),
    ("close", S.PUBLISHED, {"owner": S.CLOSED, "tto": S.CLOSED}),
    ("close", S.EXPIRED, {"owner": S.CLOSED, "tto": S.CLOSED}),
    (
        "archive",
        S.DRAFT,
        {"owner": S.ARCHIVED, "tto": S.ARCHIVED, "moderator": S.ARCHIVED, "staff": S.ARCHIVED},
    ),
    (
        "archive",
        S.CLOSED,
        {"owner": S.ARCHIVED, "tto": S.ARCHIVED, "moderator": S.ARCHIVED, "staff": S.ARCHIVED},
    ),
    (
        "archive",
        S.EXPIRED,
        {"owner": S.ARCHIVED, "tto": S.ARCHIVED, "moderator": S.ARCHIVED, "staff": S.ARCHIVED},
    ),
    ("expire", S.PUBLISHED, {}),
]
CASES = [
    pytest.param(action, state, role, allowed.get(role), id=f"{action}-{state}-{role}")
    for action, state, allowed in MATRIX
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state", "role", "expected"), CASES)
def test_transition_matrix(people, make_listing, action, state, role, expected):
    listing = make_listing(**_setup_state(state))
    actor = people[role]
    if action == "expire":
        listing.expires_at = timezone.now() - dt.timedelta(minutes=1)
        listing.save()
    if expected is None:
        with pytest.raises(NotPermitted) as exc:
            _call(action, listing, actor)
        assert isinstance(exc.value, PermissionDenied)
        assert isinstance(exc.value, TransitionNotAllowed)
        listing.refresh_from_db()
        assert listing.state == state
        assert not AuditLog.objects.filter(action=f"listing.{action}").exists()
        return
    result = _call(action, listing, actor)
    assert result.state == expected
    listing.refresh_from_db()
    assert listing.state == expected
    row = AuditLog.objects.get(action=f"listing.{action}", target_id=str(listing.pk))
    assert row.actor == actor
    assert row.before["state"] == state
    assert row.after["state"] == expected


@pytest.mark.django_db
def test_scheduler_expires_and_notifies(people, make_listing):
    listing = make_listing(**_setup_state(S.PUBLISHED))
    listing.expires_at = timezone.now() - dt.timedelta(minutes=1)
    listing.save()
    services.listing_expire(listing=listing)
    listing.refresh_from_db()
    assert listing.state == S.EXPIRED
    assert listing.version == 2
    row = AuditLog.objects.get(action="listing.expire")
    assert row.actor is None and row.before["state"] == S.PUBLISHED and row.after["state"] == S.EXPIRED
    assert Notification.objects.filter(recipient=people.owner, kind="listing_expired").count() == 1


@pytest.mark.django_db
def test_expire_refused_before_expiry(make_listing):
    listing = make_listing(**_setup_state(S.PUBLISHED))
    with pytest.raises(WrongState):
        services.listing_expire(listing=listing)


@pytest.mark.parametrize(
    ("action", "state", "role"),
    [
        ("publish", S.DRAFT, "moderator"),
        ("publish", S.SUBMITTED, "moderator"),
        ("submit", S.PUBLISHED, "owner"),
        ("submit", S.SUBMITTED, "owner"),
        ("tto_approve", S.AWAITING_MODERATION, "tto"),
        ("tto_approve", S.DRAFT, "tto"),
        ("renew", S.DRAFT, "owner"),
        ("renew", S.UNPUBLISHED, "owner"),
        ("close", S.DRAFT, "owner"),
        ("archive", S.PUBLISHED, "owner"),
        ("archive", S.ARCHIVED, "moderator"),
        ("unpublish", S.DRAFT, "moderator"),
        ("send_back", S.PUBLISHED, "moderator"),
        ("send_back", S.DRAFT, "moderator"),
    ],
)
@pytest.mark.django_db
def test_wrong_state_is_a_validation_error(people, make_listing, action, state, role):
    listing = make_listing(**_setup_state(state))
    with pytest.raises(WrongState) as exc:
        _call(action, listing, people[role])
    assert isinstance(exc.value, ValidationError)
    assert isinstance(exc.value, TransitionNotAllowed)
    assert exc.value.messages  # a readable Vietnamese message
    listing.refresh_from_db()
    assert listing.state == state


@pytest.mark.django_db
def test_full_path_with_tto_manager_and_notifications(people, make_listing):
    listing = make_listing()
    services.listing_submit(actor=people.owner, listing=listing)
    assert listing.state == S.SUBMITTED
    assert Notification.objects.filter(recipient=people.tto, kind="listing_submitted").count() == 1
    assert not Notification.objects.filter(recipient=people.moderator).exists()

    services.listing_tto_approve(actor=people.tto, listing=listing)
    listing.refresh_from_db()
    assert listing.state == S.AWAITING_MODERATION and listing.tto_approved_by == people.tto
    assert Notification.objects.filter(recipient=people.owner, kind="listing_tto_approved").count() == 1
    for mod in (people.moderator, people.staff):
        assert Notification.objects.filter(recipient=mod, kind="listing_awaiting_moderation").count() == 1

    services.listing_publish(actor=people.moderator, listing=listing)
    listing.refresh_from_db()
    assert listing.state == S.PUBLISHED and listing.version == 1
    assert listing.published_at is not None
    expected = timezone.now() + dt.timedelta(days=365)
    assert abs((listing.expires_at - expected).total_seconds()) < 60
    assert Notification.objects.filter(recipient=people.owner, kind="listing_published").count() == 1

    services.listing_unpublish(actor=people.moderator, listing=listing, reason="Thông tin chưa chính xác")
    listing.refresh_from_db()
    assert listing.version == 2
    assert Notification.objects.filter(recipient=people.owner, kind="listing_unpublished").count() == 1


@pytest.mark.django_db
def test_path_without_tto_manager_goes_straight_to_moderation(people):
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory

    from .factories import ListingFactory

    org = OrganizationFactory()
    researcher = MembershipFactory(organization=org).user
    listing = ListingFactory(organization=org, created_by=researcher)
    services.listing_submit(actor=researcher, listing=listing)
    assert listing.state == S.AWAITING_MODERATION
    assert Notification.objects.filter(
        recipient=people.moderator, kind="listing_awaiting_moderation"
    ).exists()
    assert not Notification.objects.filter(kind="listing_submitted").exists()
    services.listing_publish(actor=people.moderator, listing=listing)
    assert listing.state == S.PUBLISHED


@pytest.mark.django_db
def test_send_back_needs_reason_and_shows_it(people, make_listing):
    listing = make_listing(state=S.AWAITING_MODERATION)
    with pytest.raises(ValidationError):
        services.listing_send_back(actor=people.moderator, listing=listing, reason="  ")
    services.listing_send_back(actor=people.moderator, listing=listing, reason="Bổ sung số bằng sáng chế.")
    listing.refresh_from_db()
    assert listing.state == S.DRAFT
    assert listing.sent_back_reason == "Bổ sung số bằng sáng chế."
    note = Notification.objects.get(recipient=people.owner, kind="listing_sent_back")
    assert "Bổ sung số bằng sáng chế." in note.body
    assert AuditLog.objects.get(action="listing.send_back").data["reason"] == "Bổ sung số bằng sáng chế."
    # Resubmitting clears the reason.
    services.listing_submit(actor=people.owner, listing=listing)
    listing.refresh_from_db()
    assert listing.sent_back_reason == ""


@pytest.mark.django_db
def test_submit_refuses_incomplete_listing(people, make_listing):
    listing = make_listing(transaction_types=[])
    with pytest.raises(WrongState) as exc:
        services.listing_submit(actor=people.owner, listing=listing)
    assert "transaction_types" in exc.value.message_dict


@pytest.mark.django_db
def test_author_co_owner_may_act_but_is_not_a_member(people, make_listing):
    from exchange.accounts.tests.factories import UserFactory

    coauthor = UserFactory()
    listing = make_listing(authors=[coauthor])
    services.listing_submit(actor=coauthor, listing=listing)
    assert listing.state == S.SUBMITTED


@pytest.mark.django_db
def test_renew_by_tto_manager_extends_and_notifies_owner(people, make_listing):
    listing = make_listing(**_setup_state(S.EXPIRED))
    services.listing_renew(actor=people.tto, listing=listing)
    listing.refresh_from_db()
    assert listing.state == S.PUBLISHED
    assert listing.version == 2
    assert listing.expires_at > timezone.now() + dt.timedelta(days=364)
    assert Notification.objects.filter(recipient=people.owner, kind="listing_renewed").count() == 1


@pytest.mark.django_db
def test_close_and_archive_notify_co_owners(people, make_listing):
    from exchange.accounts.tests.factories import UserFactory

    coauthor = UserFactory()
    listing = make_listing(authors=[coauthor], **_setup_state(S.PUBLISHED))
    services.listing_close(actor=people.owner, listing=listing, reason="Đã chuyển giao")
    services.listing_archive(actor=people.owner, listing=listing)
    assert Notification.objects.filter(recipient=coauthor, kind="listing_closed").count() == 1
    assert Notification.objects.filter(recipient=coauthor, kind="listing_archived").count() == 1
    assert not Notification.objects.filter(recipient=people.owner).exists()  # not told of own actions


@pytest.mark.django_db
def test_emails_sent_after_commit(people, make_listing, django_capture_on_commit_callbacks, mailoutbox):
    listing = make_listing(state=S.AWAITING_MODERATION)
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_publish(actor=people.moderator, listing=listing)
    assert [m.to for m in mailoutbox] == [[people.owner.email]]
