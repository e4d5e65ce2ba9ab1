"""Inquiries on federated listings: forwarding (buyer side), receiving and deciding (origin side), the
signed status callback, retries, and who may see what. Requests between exchanges carry real RFC 9421
signatures; a peer that is down is a closed loopback port."""

import datetime as dt
import uuid

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory, manager_of
from exchange.core.models import AuditLog, Notification
from listings.tests.factories import ListingFactory
from regional_network import inquiries
from regional_network.models import (
    ForwardedInquiry,
    ForwardedStatus,
    IncomingInquiry,
    IncomingStatus,
    Peer,
)

from .conftest import OTHER_KEY, public_of

pytestmark = pytest.mark.django_db

INQUIRE = "/vi/portal/federation/inquire/{}/"
LIST = "/vi/portal/federation/inquiries/"


@pytest.fixture
def federated(peer):
    """A Đồng Nai listing we hold from its feed."""
    return ListingFactory(published=True, origin="dongnai", ref="dn-001", search_index=False)


@pytest.fixture
def buyer():
    """A member of a verified organisation here (HCMC)."""
    membership = MembershipFactory(organization=OrganizationFactory(name="Công ty Cơ khí Sài Gòn"))
    return membership.user, membership.organization


def _forwarded(peer, listing, user, org, **kw):
    data = {
        "peer": peer,
        "listing": listing,
        "ref": listing.ref,
        "listing_title": listing.title_vi,
        "user": user,
        "organization": org,
        "buyer_name": user.full_name,
        "buyer_organization": org.name,
        "buyer_country": "VN",
        "buyer_email": user.email,
        "message": "Chúng tôi muốn ứng dụng.",
        "status": ForwardedStatus.DELIVERED,
        "remote_id": "17",
    }
    data.update(kw)
    return ForwardedInquiry.objects.create(**data)


# --- buyer side ---------------------------------------------------------------------------------------
def test_forward_needs_sign_in(client, federated):
    response = client.get(INQUIRE.format(federated.pk))
    assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(INQUIRE.format(federated.pk), {"message": "x"})
    assert response.status_code == 302 and not ForwardedInquiry.objects.exists()


def test_forward_needs_a_verified_organisation(client, federated):
    unverified = MembershipFactory(organization=OrganizationFactory(verified=False))
    client.force_login(unverified.user)
    page = client.get(INQUIRE.format(federated.pk))
    assert page.status_code == 200 and not page.context["has_organization"]
    client.post(
        INQUIRE.format(federated.pk), {"organization": unverified.organization.pk, "message": "Quan tâm"}
    )
    assert not ForwardedInquiry.objects.exists()
    with pytest.raises(inquiries.PermissionDenied):
        inquiries.forwarded_inquiry_create(
            actor=unverified.user, listing=federated, organization=unverified.organization, message="x"
        )


def test_forward_of_our_own_listing_goes_to_the_deal_room(client, buyer):
    local = ListingFactory(published=True, search_index=False)
    client.force_login(buyer[0])
    response = client.get(INQUIRE.format(local.pk))
    assert response.status_code == 302 and f"/deals/listing/{local.pk}/inquire/" in response["Location"]
    with pytest.raises(inquiries.ValidationError):
        inquiries.forwarded_inquiry_create(actor=buyer[0], listing=local, organization=buyer[1], message="x")


def test_forward_queues_and_backs_off_while_the_origin_is_down(
    client, federated, buyer, django_capture_on_commit_callbacks
):
    user, org = buyer
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            INQUIRE.format(federated.pk),
            {"organization": org.pk, "message": "Chúng tôi muốn sấy điều.", "share_email": "on"},
        )
    inquiry = ForwardedInquiry.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/inquiries/sent/{inquiry.pk}/")
    assert len(callbacks) == 1  # the delivery task, after commit, with the id
    # The origin (a closed port) was tried once: still queued, retried later with backoff.
    assert inquiry.status == ForwardedStatus.QUEUED and inquiry.attempts == 1
    assert 20 <= (inquiry.next_attempt_at - timezone.now()).total_seconds() <= 40
    assert inquiry.last_error and inquiry.buyer_email == user.email and inquiry.buyer_organization == org.name
    assert AuditLog.objects.filter(action="forwarded_inquiry.create", target_id=str(inquiry.pk)).exists()
    # A second one for the same listing and organisation is refused while the first is open.
    client.post(INQUIRE.format(federated.pk), {"organization": org.pk, "message": "Lần nữa"})
    assert ForwardedInquiry.objects.count() == 1
    # The status page shows it to the sender.
    page = client.get(f"/vi/portal/federation/inquiries/sent/{inquiry.pk}/")
    assert page.status_code == 200 and "Đang chờ gửi" in page.content.decode()


def test_delivery_gives_up_after_the_last_attempt_and_tells_the_buyer(federated, buyer, peer):
    user, org = buyer
    inquiry = _forwarded(
        peer, federated, user, org, status=ForwardedStatus.QUEUED, attempts=inquiries.MAX_ATTEMPTS - 1
    )
    assert inquiries.forwarded_inquiry_deliver(inquiry_id=inquiry.pk) == "failed"
    inquiry.refresh_from_db()
    assert inquiry.status == ForwardedStatus.FAILED and inquiry.next_attempt_at is None
    assert Notification.objects.get(recipient=user).kind == "federation_inquiry_status"
    assert AuditLog.objects.filter(action="forwarded_inquiry.fail").count() == 1
    assert inquiries.forwarded_inquiry_deliver(inquiry_id=inquiry.pk) == "skipped"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refusal_fails_at_once_without_retry(live_server, buyer):
    """A 4xx is not retried: here the "origin" is our own live server, which does not know our key."""
    peer = Peer.objects.create(
        name="Sàn không biết khóa của chúng tôi",
        origin="dongnai",
        base_url=live_server.url,
        public_key=public_of(OTHER_KEY),
    )
    listing = ListingFactory(published=True, origin="dongnai", ref="dn-x", search_index=False)
    inquiry = _forwarded(peer, listing, *buyer, status=ForwardedStatus.QUEUED)
    assert inquiries.forwarded_inquiry_deliver(inquiry_id=inquiry.pk) == "failed"
    inquiry.refresh_from_db()
    assert inquiry.status == ForwardedStatus.FAILED and inquiry.attempts == 1 and "401" in inquiry.last_error


def test_sent_inquiries_are_visible_to_the_sending_organisation_only(client, federated, buyer, peer):
    user, org = buyer
    inquiry = _forwarded(peer, federated, user, org)
    colleague = MembershipFactory(organization=org).user
    stranger = MembershipFactory().user
    detail = f"/vi/portal/federation/inquiries/sent/{inquiry.pk}/"

    assert client.get(detail).status_code == 302  # anonymous → sign in
    client.force_login(stranger)
    assert client.get(detail).status_code == 404
    assert list(client.get(LIST).context["sent"].object_list) == []
    client.force_login(colleague)
    assert client.get(detail).status_code == 200
    assert list(client.get(LIST).context["sent"].object_list) == [inquiry]


def test_the_status_callback_updates_the_buyer_and_is_idempotent(signed, federated, buyer, peer):
    user, org = buyer
    inquiry = _forwarded(peer, federated, user, org)
    path = f"/federation/v1/inquiries/{inquiry.callback_id}/status"
    payload = {
        "id": "17",
        "status": "accepted",
        "reason": "Mời anh chị liên hệ.",
        "contact": {"name": "Trần Thị B", "organization": "Trường ĐH Đồng Nai", "email": "b@dnu.edu.vn"},
    }
    response = signed.post(path, payload)
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    inquiry.refresh_from_db()
    assert inquiry.status == ForwardedStatus.ACCEPTED and inquiry.contact["email"] == "b@dnu.edu.vn"
    assert Notification.objects.get(recipient=user).kind == "federation_inquiry_status"
    assert AuditLog.objects.filter(action="forwarded_inquiry.status").count() == 1

    assert signed.post(path, payload).status_code == 200  # repeated: nothing new
    assert Notification.objects.filter(recipient=user).count() == 1
    assert signed.post(path, {**payload, "status": "declined"}).status_code == 409
    assert signed.post(path, {"status": "maybe"}).status_code == 400
    assert signed.post("/federation/v1/inquiries/not-a-uuid/status", payload).status_code == 404
    assert signed.post(f"/federation/v1/inquiries/{uuid.uuid4()}/status", payload).status_code == 404


def test_only_the_origin_it_went_to_may_report_its_status(signed, federated, buyer, peer):
    Peer.objects.create(name="Bình Dương", origin="binhduong", base_url="http://127.0.0.1:9",
                        public_key=public_of(OTHER_KEY))  # fmt: skip
    inquiry = _forwarded(peer, federated, *buyer)
    path = f"/federation/v1/inquiries/{inquiry.callback_id}/status"
    response = signed.post(path, {"status": "declined"}, key=OTHER_KEY, key_id="binhduong")
    assert response.status_code == 404
    assert signed.post(path, {"status": "declined"}, key=OTHER_KEY).status_code == 401  # wrong key
    inquiry.refresh_from_db()
    assert inquiry.status == ForwardedStatus.DELIVERED


def test_due_deliveries_and_reports_are_picked_up(federated, buyer, peer):
    due = _forwarded(peer, federated, *buyer, status=ForwardedStatus.QUEUED, next_attempt_at=timezone.now())
    other_org = MembershipFactory().organization
    later = _forwarded(
        peer,
        federated,
        buyer[0],
        other_org,
        status=ForwardedStatus.QUEUED,
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5),
    )
    forwarded, reports = inquiries.inquiries_due()
    assert forwarded == [due.pk] and later.pk not in forwarded and reports == []


def test_listing_page_box_for_federated_listings_only(federated, buyer):
    template = Template("{% load federation %}{% federation_inquiry_box listing %}")
    request = RequestFactory().get("/")
    request.user = buyer[0]
    html = template.render(Context({"listing": federated, "user": buyer[0], "request": request}))
    assert "Gửi quan tâm tới sàn gốc" in html and f"/portal/federation/inquire/{federated.pk}/" in html
    assert "Sàn giao dịch công nghệ Đồng Nai" in html
    local = ListingFactory(published=True, search_index=False)
    assert template.render(Context({"listing": local, "user": buyer[0], "request": request})).strip() == ""


# --- origin side --------------------------------------------------------------------------------------
@pytest.fixture
def ours():
    """One of OUR published listings, its organisation's TTO manager and the listing's creator."""
    org = OrganizationFactory(name="Trường Đại học Bách khoa")
    creator = MembershipFactory(organization=org).user
    listing = ListingFactory(published=True, ref="hcm-017", organization=org, created_by=creator,
                             search_index=False)  # fmt: skip
    return listing, manager_of(org), creator


def _incoming_payload(**kw):
    data = {
        "ref": "hcm-017",
        "message": "Chúng tôi quan tâm công nghệ này.",
        "buyer": {"name": "Lê Văn C", "organization": "Công ty Điều Đồng Nai", "country": "vn",
                  "email": "c@dieu.vn"},
        "callback_id": "6f1c0b1e-8d8b-4b0a-9a43-1f0f5d1d2a11",
    }  # fmt: skip
    data.update(kw)
    return data


def test_receive_creates_one_inquiry_per_callback_id(signed, peer, ours):
    listing, manager, creator = ours
    response = signed.post("/federation/v1/inquiries", _incoming_payload())
    assert response.status_code == 201
    inquiry = IncomingInquiry.objects.get()
    assert response.json() == {"id": str(inquiry.pk), "status": "received"}
    assert (inquiry.listing, inquiry.organization, inquiry.peer) == (listing, listing.organization, peer)
    assert inquiry.buyer_country == "VN" and inquiry.buyer_email == "c@dieu.vn"
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {manager.pk, creator.pk}
    assert AuditLog.objects.filter(action="incoming_inquiry.receive").count() == 1

    again = signed.post("/federation/v1/inquiries", _incoming_payload())  # a repeated delivery
    assert again.status_code == 200 and again.json()["id"] == str(inquiry.pk)
    assert IncomingInquiry.objects.count() == 1 and Notification.objects.count() == 2


def test_receive_refuses_what_is_not_our_published_listing(signed, peer, ours):
    listing = ours[0]
    ListingFactory(published=True, origin="dongnai", ref="dn-held", search_index=False)
    post = signed.post
    assert post("/federation/v1/inquiries", _incoming_payload(ref="nope")).status_code == 404
    assert post("/federation/v1/inquiries", _incoming_payload(ref="dn-held")).status_code == 404  # not ours
    assert post("/federation/v1/inquiries", _incoming_payload(message="")).status_code == 400
    assert post("/federation/v1/inquiries", _incoming_payload(buyer="x")).status_code == 400
    bad_email = _incoming_payload(buyer={"name": "A", "organization": "B", "country": "VN", "email": "x"})
    assert post("/federation/v1/inquiries", bad_email).status_code == 400
    bad_country = _incoming_payload(buyer={"name": "A", "organization": "B", "country": "V1"})
    assert post("/federation/v1/inquiries", bad_country).status_code == 400
    listing.state = "unpublished"
    listing.save()
    assert post("/federation/v1/inquiries", _incoming_payload()).status_code == 410
    assert post("/federation/v1/inquiries", _incoming_payload(), key=OTHER_KEY).status_code == 401
    assert not IncomingInquiry.objects.exists()


def test_incoming_inquiries_are_visible_to_the_owner_organisation_only(client, signed, peer, ours):
    listing, manager, creator = ours
    signed.post("/federation/v1/inquiries", _incoming_payload())
    inquiry = IncomingInquiry.objects.get()
    detail = f"/vi/portal/federation/inquiries/received/{inquiry.pk}/"
    accept = detail + "accept/"
    plain_member = MembershipFactory(organization=listing.organization, role=MembershipRole.MEMBER).user
    outsider = manager_of(OrganizationFactory())

    assert client.get(detail).status_code == 302
    assert client.post(accept).status_code == 302 and IncomingInquiry.objects.get().status == "received"
    client.force_login(outsider)
    assert client.get(detail).status_code == 404
    assert client.post(accept).status_code == 404
    assert list(client.get(LIST).context["received"].object_list) == []
    client.force_login(plain_member)  # sees it, may not answer it
    page = client.get(detail)
    assert page.status_code == 200 and not page.context["can_decide"]
    assert client.post(accept).status_code == 403
    assert list(client.get(LIST).context["received"].object_list) == [inquiry]
    client.force_login(UserFactory())
    assert client.get(detail).status_code == 404
    assert IncomingInquiry.objects.get().status == IncomingStatus.RECEIVED


def test_accepting_notifies_audits_and_reports_back_with_backoff(
    client, signed, peer, ours, django_capture_on_commit_callbacks
):
    listing, manager, creator = ours
    signed.post("/federation/v1/inquiries", _incoming_payload())
    inquiry = IncomingInquiry.objects.get()
    Notification.objects.all().delete()
    client.force_login(manager)
    page = client.get(f"/vi/portal/federation/inquiries/received/{inquiry.pk}/")
    assert page.context["can_decide"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/vi/portal/federation/inquiries/received/{inquiry.pk}/accept/", {"reason": "Hẹn gặp tuần sau."}
        )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == IncomingStatus.ACCEPTED and inquiry.decided_by == manager
    assert AuditLog.objects.filter(action="incoming_inquiry.accept", actor=manager).exists()
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (creator.pk, "federation_inquiry_decided")
    ]
    # The buyer's exchange (a closed port) was tried: still pending, retried later.
    assert inquiry.report_pending and inquiry.report_attempts == 1 and inquiry.report_error
    assert inquiry.report_next_at > timezone.now()
    payload = inquiries._status_payload(inquiry)
    assert payload["status"] == "accepted" and payload["contact"]["email"] == manager.email
    # A second decision is refused.
    with pytest.raises(inquiries.ValidationError):
        inquiries.incoming_inquiry_decide(actor=manager, inquiry=inquiry, accept=False)
    # Past the last attempt the report stops (and says why).
    IncomingInquiry.objects.filter(pk=inquiry.pk).update(report_attempts=inquiries.MAX_ATTEMPTS - 1)
    assert inquiries.incoming_inquiry_report(inquiry_id=inquiry.pk) == "failed"
    inquiry.refresh_from_db()
    assert not inquiry.report_pending
    assert AuditLog.objects.filter(action="incoming_inquiry.report_failed").exists()
