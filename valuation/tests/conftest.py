import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from exchange.accounts.models import OrganizationKind
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from listings.tests.factories import ListingFactory
from valuation import services

INPUTS = {
    "relief_from_royalty": {
        "revenues": [1_000_000_000, {"min": 1_000_000_000, "mode": 1_200_000_000, "max": 1_600_000_000}],
        "royalty_rate": 0.05,
        "tax_rate": 0.2,
        "discount_rate": 0.1,
    },
    "cost": {"costs": [{"amount": 500_000_000, "year": 2024}], "valuation_year": 2026, "index_rate": 0.04},
    "scoring": {"scores": {"legal": {"scope": 4}, "market": {"demand": 2}}},
}


class People(dict):
    def __getattr__(self, name):
        return self[name]


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def p(db):
    org = OrganizationFactory()
    owner = MembershipFactory(organization=org, user=UserFactory(roles=["researcher"])).user
    listing = ListingFactory(published=True, organization=org, created_by=owner)
    appraiser = UserFactory(roles=["appraiser"], full_name="Đoàn Thị Thẩm Định")
    valuation = services.valuation_create(
        actor=owner,
        title="Định giá thử",
        methods=["relief_from_royalty", "cost", "scoring"],
        listing=listing,
        inputs=INPUTS,
    )
    staff = UserFactory(roles=["staff"])
    services.valuation_assign_appraiser(actor=staff, valuation=valuation, appraiser=appraiser)
    valuation.refresh_from_db()
    buyer_org = OrganizationFactory(kind=OrganizationKind.objects.get(code="enterprise"))
    buyer = MembershipFactory(organization=buyer_org, user=UserFactory(roles=["business"])).user
    return People(
        org=org,
        owner=owner,
        listing=listing,
        valuation=valuation,
        appraiser=appraiser,
        other_appraiser=UserFactory(roles=["appraiser"]),
        staff=staff,
        other=MembershipFactory(organization=org).user,  # same organisation, still not theirs
        stranger=UserFactory(),
        buyer=buyer,
        buyer_org=buyer_org,
        anonymous=AnonymousUser(),
    )
