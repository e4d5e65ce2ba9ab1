"""Expert valuation (#6 × #8): assigning an appraiser to a valuation request opens a linked workspace;
the appraiser works in it; publishing the signed report delivers the support request."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog
from exchange.support import services as support_services
from exchange.support.lifecycle import RequestState
from listings.tests.factories import ListingFactory
from valuation import services
from valuation.models import Valuation

from .conftest import INPUTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def ev(db):
    org = OrganizationFactory()
    requester = MembershipFactory(organization=org).user
    listing = ListingFactory(published=True, organization=org, created_by=requester)
    staff = UserFactory(roles=["staff"])
    request = support_services.service_request_create(
        actor=requester, kind="valuation", description="Định giá sáng chế", organization=org, listing=listing
    )
    quote = support_services.service_request_quote(
        actor=staff,
        request=request,
        amount_vnd=30_000_000,
        description="Thẩm định giá",
        valid_until=timezone.localdate() + dt.timedelta(days=5),
    )
    support_services.service_request_accept_quote(actor=requester, request=request, quote=quote)
    return {
        "org": org,
        "requester": requester,
        "listing": listing,
        "staff": staff,
        "request": request,
        "appraiser": UserFactory(roles=["appraiser"], full_name="Lê Thẩm Định"),
        "other_appraiser": UserFactory(roles=["appraiser"]),
        "stranger": UserFactory(),
    }


def test_whole_path(client, ev):
    request = ev["request"]
    support_services.service_request_assign(actor=ev["staff"], request=request, assignee=ev["appraiser"])
    request.refresh_from_db()
    assert request.state == RequestState.IN_PROGRESS  # started on assignment
    valuation = Valuation.objects.get(service_request=request)
    assert valuation.owner == ev["requester"] and valuation.appraiser == ev["appraiser"]
    assert valuation.listing == ev["listing"] and valuation.organization == ev["org"]
    assert request.valuation == valuation
    # The support page links the workspace.
    client.force_login(ev["requester"])
    assert (
        reverse("valuation:detail", args=[valuation.pk])
        in client.get(request.get_absolute_url()).content.decode()
    )

    # The appraiser works in it.
    client.force_login(ev["appraiser"])
    assert client.get(reverse("valuation:detail", args=[valuation.pk])).status_code == 200
    services.valuation_update(actor=ev["appraiser"], valuation=valuation, inputs=INPUTS)
    version = services.valuation_save_version(actor=ev["appraiser"], valuation=valuation, note="v1")
    response = client.post(
        reverse("valuation:publish", args=[valuation.pk]),
        {"version": version.pk, "opinion": "Giá trị hợp lý", "language": "vi"},
    )
    assert response.status_code == 302
    report = valuation.reports.get()
    request.refresh_from_db()
    assert request.state == RequestState.DELIVERED and report.sha256 in request.delivery_note
    assert AuditLog.objects.filter(action="service_request.deliver", target_id=str(request.pk)).exists()
    # A revised report later leaves the request delivered.
    services.valuation_publish_report(actor=ev["appraiser"], valuation=valuation, version=version)
    request.refresh_from_db()
    assert request.state == RequestState.DELIVERED


@pytest.mark.parametrize("who", ["other_appraiser", "stranger"])
def test_others_cannot_see_the_workspace(client, ev, who):
    support_services.service_request_assign(
        actor=ev["staff"], request=ev["request"], assignee=ev["appraiser"]
    )
    valuation = Valuation.objects.get(service_request=ev["request"])
    client.force_login(ev[who])
    assert client.get(reverse("valuation:detail", args=[valuation.pk])).status_code == 404
    assert client.get(ev["request"].get_absolute_url()).status_code == 404
    assert valuation.pk not in [
        v.pk for v in __import__("valuation.selectors").selectors.valuations_for_user(ev[who])
    ]


def test_reassign_moves_the_workspace(ev):
    request = ev["request"]
    support_services.service_request_assign(actor=ev["staff"], request=request, assignee=ev["appraiser"])
    support_services.service_request_assign(
        actor=ev["staff"], request=request, assignee=ev["other_appraiser"]
    )
    valuation = Valuation.objects.get(service_request=request)
    assert Valuation.objects.filter(service_request=request).count() == 1
    assert valuation.appraiser == ev["other_appraiser"]
    # The workspace's appraiser is changed only through the support request.
    with pytest.raises(ValidationError):
        services.valuation_assign_appraiser(actor=ev["staff"], valuation=valuation, appraiser=ev["appraiser"])


def test_assigning_staff_opens_nothing(ev):
    support_services.service_request_assign(actor=ev["staff"], request=ev["request"], assignee=ev["staff"])
    assert not Valuation.objects.filter(service_request=ev["request"]).exists()


def test_assigned_before_acceptance_cannot_deliver_until_accepted(ev):
    requester, staff = ev["requester"], ev["staff"]
    request = support_services.service_request_create(actor=requester, kind="valuation", description="Sớm")
    support_services.service_request_assign(actor=staff, request=request, assignee=ev["appraiser"])
    request.refresh_from_db()
    assert request.state == RequestState.NEW
    valuation = Valuation.objects.get(service_request=request)
    assert valuation.listing is None
    services.valuation_update(actor=ev["appraiser"], valuation=valuation, inputs=INPUTS)
    version = services.valuation_save_version(actor=ev["appraiser"], valuation=valuation)
    with pytest.raises(ValidationError):
        services.valuation_publish_report(actor=ev["appraiser"], valuation=valuation, version=version)
    assert not valuation.reports.exists()
    quote = support_services.service_request_quote(
        actor=ev["appraiser"],
        request=request,
        amount_vnd=1_000_000,
        description="Phí",
        valid_until=timezone.localdate() + dt.timedelta(days=1),
    )
    support_services.service_request_accept_quote(actor=requester, request=request, quote=quote)
    services.valuation_publish_report(actor=ev["appraiser"], valuation=valuation, version=version)
    request.refresh_from_db()
    assert request.state == RequestState.DELIVERED
