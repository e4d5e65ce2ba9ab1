import pytest
from django.contrib.auth.models import AnonymousUser

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

from .factories import ListingFactory


class People(dict):
    """Every role the lifecycle cares about, around one organisation that has a TTO manager."""

    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def people(db):
    org = OrganizationFactory()
    other_org = OrganizationFactory()
    owner = MembershipFactory(organization=org, user=UserFactory(roles=["researcher"])).user
    tto = MembershipFactory(organization=org, role=MembershipRole.TTO_MANAGER).user
    other_member = MembershipFactory(organization=other_org).user
    other_tto = MembershipFactory(organization=other_org, role=MembershipRole.TTO_MANAGER).user
    return People(
        org=org,
        other_org=other_org,
        owner=owner,
        tto=tto,
        other_member=other_member,
        other_tto=other_tto,
        stranger=UserFactory(),
        moderator=UserFactory(roles=["moderator"]),
        staff=UserFactory(roles=["staff"]),
        anonymous=AnonymousUser(),
    )


@pytest.fixture
def make_listing(people):
    def make(**kwargs):
        kwargs.setdefault("organization", people.org)
        kwargs.setdefault("created_by", people.owner)
        return ListingFactory(**kwargs)

    return make
