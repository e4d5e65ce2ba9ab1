"""Editing a live listing: the edit waits as a revision while the published version stays unchanged."""

import pytest
from django.core.exceptions import ValidationError

from exchange.core.models import AuditLog, Notification
from listings import services
from listings.lifecycle import ListingState, NotPermitted, WrongState
from listings.models import IPRight, ListingRevision, RevisionStage, RevisionState
from listings.snapshots import diff_snapshots, listing_snapshot

S = ListingState


@pytest.fixture
def live(make_listing):
    return make_listing(published=True)


@pytest.mark.django_db
def test_draft_edit_applies_directly(people, make_listing):
    listing = make_listing()
    result = services.listing_update(
        actor=people.owner,
        listing=listing,
        data={"title_vi": "Tên mới", "field": "2.05", "province": "79", "deadline": "2027-01-31"},
    )
    assert result == listing
    listing.refresh_from_db()
    assert listing.title_vi == "Tên mới"
    assert listing.field.code == "2.05"
    assert listing.province.code == "79"
    assert str(listing.deadline) == "2027-01-31"
    assert AuditLog.objects.get(action="listing.update").data["changed"] == [
        "title_vi",
        "field",
        "province",
        "deadline",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "stranger", "other_member", "other_tto", "moderator", "staff"])
def test_edit_refused_for_non_owners(people, make_listing, role):
    listing = make_listing()
    with pytest.raises(NotPermitted):
        services.listing_update(actor=people[role], listing=listing, data={"title_vi": "X"})


@pytest.mark.django_db
def test_edit_refused_while_under_review(people, make_listing):
    listing = make_listing(state=S.SUBMITTED)
    with pytest.raises(WrongState):
        services.listing_update(actor=people.owner, listing=listing, data={"title_vi": "X"})


@pytest.mark.django_db
def test_published_edit_waits_then_applies_through_tto_and_moderator(people, live):
    old_title = live.title_vi
    revision = services.listing_update(
        actor=people.owner,
        listing=live,
        data={
            "title_vi": "Tên sau khi sửa",
            "trl": 7,
            "ip": [{"type": "patent", "status": "filed", "number": "1-2024-01"}],
        },
    )
    assert isinstance(revision, ListingRevision)
    assert revision.state == RevisionState.PENDING and revision.stage == RevisionStage.TTO
    live.refresh_from_db()
    assert live.title_vi == old_title and live.trl == 6 and live.version == 1
    assert not IPRight.objects.filter(listing=live).exists()
    assert Notification.objects.filter(recipient=people.tto, kind="listing_revision_submitted").count() == 1

    # Wrong people and wrong order are refused.
    with pytest.raises(NotPermitted):
        services.revision_tto_approve(actor=people.other_tto, revision=revision)
    with pytest.raises(WrongState):
        services.revision_approve(actor=people.moderator, revision=revision)  # TTO has not approved yet
    with pytest.raises(NotPermitted):
        services.revision_approve(actor=people.tto, revision=revision)

    services.revision_tto_approve(actor=people.tto, revision=revision)
    revision.refresh_from_db()
    assert revision.stage == RevisionStage.MODERATION
    assert (
        Notification.objects.filter(recipient=people.moderator, kind="listing_revision_submitted").count()
        == 1
    )
    live.refresh_from_db()
    assert live.title_vi == old_title

    with pytest.raises(NotPermitted):
        services.revision_approve(actor=people.owner, revision=revision)
    services.revision_approve(actor=people.moderator, revision=revision)
    live.refresh_from_db()
    assert live.title_vi == "Tên sau khi sửa" and live.trl == 7
    assert live.version == 2
    assert live.state == S.PUBLISHED
    assert list(live.ip_rights.values_list("number", flat=True)) == ["1-2024-01"]
    revision.refresh_from_db()
    assert revision.state == RevisionState.APPROVED and revision.decided_by == people.moderator
    assert Notification.objects.filter(recipient=people.owner, kind="listing_revision_approved").count() == 1
    apply_row = AuditLog.objects.get(action="listing.revision_apply")
    assert apply_row.before["version"] == 1 and apply_row.after["version"] == 2
    assert set(apply_row.data["changed"]) == {"title_vi", "trl", "ip"}
    assert {r.action for r in AuditLog.objects.filter(action__startswith="listing_revision.")} == {
        "listing_revision.submit",
        "listing_revision.tto_approve",
        "listing_revision.approve",
    }


@pytest.mark.django_db
def test_revision_without_tto_manager_goes_to_moderation(people):
    from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory

    from .factories import ListingFactory

    org = OrganizationFactory()
    member = MembershipFactory(organization=org).user
    listing = ListingFactory(organization=org, created_by=member, published=True)
    revision = services.revision_submit(actor=member, listing=listing, data={"summary_vi": "Tóm tắt mới"})
    assert revision.stage == RevisionStage.MODERATION
    services.revision_approve(actor=people.staff, revision=revision)
    listing.refresh_from_db()
    assert listing.summary_vi == "Tóm tắt mới"


@pytest.mark.django_db
def test_revision_reject_keeps_live_version_and_history(people, live):
    first = services.revision_submit(actor=people.owner, listing=live, data={"title_vi": "Bản 1"})
    second = services.revision_submit(actor=people.owner, listing=live, data={"title_vi": "Bản 2"})
    first.refresh_from_db()
    assert first.state == RevisionState.REJECTED  # superseded, kept as history
    with pytest.raises(ValidationError):
        services.revision_reject(actor=people.tto, revision=second, reason="")
    with pytest.raises(NotPermitted):
        services.revision_reject(actor=people.other_tto, revision=second, reason="Không")
    services.revision_reject(actor=people.tto, revision=second, reason="Tên chưa rõ")
    second.refresh_from_db()
    assert second.state == RevisionState.REJECTED and second.reason == "Tên chưa rõ"
    live.refresh_from_db()
    assert live.title_vi != "Bản 2" and live.version == 1
    assert Notification.objects.filter(recipient=people.owner, kind="listing_revision_rejected").count() == 1
    assert live.revisions.count() == 2
    with pytest.raises(WrongState):
        services.revision_reject(actor=people.moderator, revision=second, reason="again")


@pytest.mark.django_db
def test_tto_manager_cannot_reject_at_moderation_step(people, live):
    revision = services.revision_submit(actor=people.tto, listing=live, data={"title_vi": "Do TTO sửa"})
    assert revision.stage == RevisionStage.MODERATION  # the TTO manager's own edit skips its own step
    with pytest.raises(NotPermitted):
        services.revision_reject(actor=people.tto, revision=revision, reason="x")
    services.revision_reject(actor=people.moderator, revision=revision, reason="Không phù hợp")


@pytest.mark.django_db
def test_revision_must_change_something_and_be_valid(people, live):
    with pytest.raises(ValidationError):
        services.revision_submit(actor=people.owner, listing=live, data={"title_vi": live.title_vi})
    with pytest.raises(ValidationError):
        services.revision_submit(actor=people.owner, listing=live, data={"price_min": 10, "price_max": 5})
    with pytest.raises(ValidationError):
        services.revision_submit(actor=people.owner, listing=live, data={"transaction_types": ["gift"]})
    with pytest.raises(ValidationError):
        services.revision_submit(actor=people.owner, listing=live, data={"field": "9.99"})
    with pytest.raises(ValidationError):
        services.revision_submit(actor=people.owner, listing=live, data={"state": "draft"})
    assert not live.revisions.exists()


@pytest.mark.django_db
def test_diff_snapshots_field_by_field(people, live):
    before = listing_snapshot(live)
    revision = services.revision_submit(
        actor=people.owner, listing=live, data={"title_en": "New title", "keywords": ["a", "b"]}
    )
    changes = diff_snapshots(before, revision.data)
    assert [(c.name, c.after) for c in changes] == [("title_en", "New title"), ("keywords", ["a", "b"])]
    assert changes[0].before == before["title_en"]
    assert changes[0].label  # verbose name for the moderation UI
    assert diff_snapshots(before, before) == []
