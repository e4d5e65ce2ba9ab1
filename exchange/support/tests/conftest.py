import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.support import services


class People(dict):
    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def p(db):
    org = OrganizationFactory()
    requester = MembershipFactory(organization=org).user
    return People(
        org=org,
        requester=requester,
        org_signatory=MembershipFactory(organization=org, role=MembershipRole.SIGNATORY).user,
        colleague=MembershipFactory(organization=org).user,  # plain member: not a requester
        third=MembershipFactory(organization=OrganizationFactory()).user,
        stranger=UserFactory(),
        staff=UserFactory(roles=["staff"]),
        other_staff=UserFactory(roles=["staff"]),
        appraiser=UserFactory(roles=["appraiser"]),
        broker=UserFactory(roles=["broker"]),
        anonymous=AnonymousUser(),
    )


def tomorrow():
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture
def flow(p):
    class Flow:
        def new(self, kind="consulting"):
            return services.service_request_create(
                actor=p.requester, kind=kind, description="Cần tư vấn hợp đồng li-xăng.", organization=p.org
            )

        def quoted(self):
            request = self.new()
            self.quote = services.service_request_quote(
                actor=p.staff,
                request=request,
                amount_vnd=10_000_000,
                description="Gói tư vấn",
                valid_until=tomorrow(),
            )
            return request

        def accepted(self):
            request = self.quoted()
            services.service_request_accept_quote(actor=p.requester, request=request, quote=self.quote)
            return request

        def in_progress(self):
            request = self.accepted()
            services.service_request_start(actor=p.staff, request=request)
            return request

    return Flow()
