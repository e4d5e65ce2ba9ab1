"""The demo exchange: loaded through the importer, big enough to look real, always marked as demo."""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from exchange.accounts.models import Organization, User
from listings.lifecycle import ListingState
from listings.models import Listing, ListingRevision, RevisionState, ScienceField

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    started = time.monotonic()
    call_command("seed_demo", "--once")
    return time.monotonic() - started


def test_seed_demo_loads_offers_and_requests_across_all_fields(seeded):
    published = Listing.objects.filter(state=ListingState.PUBLISHED)
    assert published.filter(kind="offer").count() >= 80
    assert published.filter(kind="request").count() >= 20
    top_codes = set(
        ScienceField.objects.filter(listings__in=published.filter(kind="offer")).values_list(
            "parent__code", flat=True
        )
    )
    assert {"1", "2", "3", "4", "5", "6"} <= top_codes
    research_orgs = Organization.objects.filter(
        kind__is_research=True, listings__in=published.filter(kind="offer")
    ).distinct()
    assert research_orgs.count() >= 12
    assert published.filter(anonymous=True, kind="request").exists()
    assert seeded < 30


def test_every_demo_record_is_marked(seeded):
    assert not Listing.objects.filter(is_demo=False).exists()
    assert not Organization.objects.filter(is_demo=False).exists()
    for name in Organization.objects.values_list("name", flat=True):
        assert "(dữ liệu mẫu)" in name


def test_role_accounts_and_workflow_states(seeded, client):
    for email in [
        "admin@techex.local",
        "moderator@techex.local",
        "tto@hcmut.techex.local",
        "researcher@hcmut.techex.local",
        "business@saigonwater.techex.local",
        "broker@techex.local",
        "appraiser@techex.local",
    ]:
        # Through the real sign-in form: the lockout backend needs the request that client.login() lacks.
        response = client.post(reverse("account_login"), {"login": email, "password": "demo-techex-2026"})
        assert response.status_code == 302 and "_auth_user_id" in client.session, email
        client.logout()
    states = set(Listing.objects.values_list("state", flat=True))
    assert {ListingState.DRAFT, ListingState.SUBMITTED, ListingState.AWAITING_MODERATION} <= states
    assert ListingRevision.objects.filter(state=RevisionState.PENDING).count() == 1


def test_expert_profiles_loaded(seeded):
    from listings.models import ExpertProfile

    profiles = ExpertProfile.objects.filter(public=True)
    assert profiles.count() >= 20
    assert profiles.filter(expertise_fields__isnull=False).distinct().count() == profiles.count()


def test_seed_demo_is_idempotent(seeded):
    counts = (User.objects.count(), Listing.objects.count(), Organization.objects.count())
    call_command("seed_demo", "--once")
    assert (User.objects.count(), Listing.objects.count(), Organization.objects.count()) == counts
    # even without --once nothing is duplicated: the importer updates by ref
    call_command("seed_demo")
    assert (User.objects.count(), Listing.objects.count(), Organization.objects.count()) == counts
    assert ListingRevision.objects.filter(state=RevisionState.PENDING).count() == 1
