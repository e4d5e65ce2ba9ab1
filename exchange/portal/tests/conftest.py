import pytest
from django.contrib.auth.models import AnonymousUser

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from listings.tests.factories import ListingFactory, RequestListingFactory


class People(dict):
    """One organisation with a researcher and a TTO manager, another organisation with its own TTO
    manager, a business user with a company, and a moderator."""

    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def people(db):
    org = OrganizationFactory(name="Trường Đại học Bách khoa (thử)")
    other_org = OrganizationFactory(name="Viện Công nghệ khác (thử)")
    company = OrganizationFactory(name="Công ty Dệt may (thử)")
    researcher = MembershipFactory(organization=org, user=UserFactory(roles=["researcher"])).user
    tto = MembershipFactory(organization=org, role=MembershipRole.TTO_MANAGER).user
    other_tto = MembershipFactory(organization=other_org, role=MembershipRole.TTO_MANAGER).user
    business = MembershipFactory(organization=company, user=UserFactory(roles=["business"])).user
    return People(
        org=org,
        other_org=other_org,
        company=company,
        researcher=researcher,
        tto=tto,
        other_tto=other_tto,
        business=business,
        moderator=UserFactory(roles=["moderator"]),
        anonymous=AnonymousUser(),
    )


@pytest.fixture
def offer(people):
    return ListingFactory(organization=people.org, created_by=people.researcher)


@pytest.fixture
def request_listing(people):
    return RequestListingFactory(organization=people.company, created_by=people.business)


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do
