"""The permission matrix (issue #11) for the routes around listings, support, federation and accounts:
every role's GET status on each route, and proof that the writes a role may not make change nothing.

tests/test_permission_matrix.py holds the shared profiles, the ``world`` of organisations and people and
the coverage test (``permission_matrix_support.all_tables`` collects ``MATRIX`` from here). This module
adds the objects these routes point at — a support request of the business with a quote, a notification,
a saved search, a listing awaiting moderation and a pending revision, federation inquiries sent and
received, a technology request, an API token, a public expert and an organisation page — and a table for
each route. The rule each table records is said next to it when no shared profile names it.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.accounts.models import Membership, MembershipStatus, Organization
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory
from exchange.accounts.tokens import api_token_create
from exchange.core.models import AuditLog, Notification
from exchange.support import services as support_services
from listings.lifecycle import ListingState
from listings.models import (
    ExpertProfile,
    Listing,
    ListingAttachment,
    ListingImage,
    ListingRevision,
    SavedListing,
    SavedSearch,
)
from listings.saved_searches import saved_search_create
from listings.services import listing_update
from listings.tests.factories import ListingFactory, RequestListingFactory
from regional_network import changelog, signatures
from regional_network.models import (
    ForwardedInquiry,
    ForwardedStatus,
    IncomingInquiry,
    IncomingStatus,
    Peer,
)
from tests.permission_matrix_support import (
    ANON,
    BROKER,
    BUSINESS,
    MODERATOR,
    OWNER,
    PEER,
    ROLES,
    STAFF,
    TTO,
    all_tables,
)
from tests.test_permission_matrix import (  # noqa: F401 - ``world`` is the shared fixture
    MODERATION_ADMIN,
    PEER_KEY,
    POST_ONLY,
    PUBLIC,
    SIGNED_IN,
    STAFF_ADMIN,
    _clients,
    _get,
    _get_mismatches,
    _route_url,
    world,
)


def row(default: int, **cells: int) -> dict[str, int]:
    """A table with ``default`` for every role but the ones named (``row(404, business=200)``)."""
    unknown = set(cells) - set(ROLES)
    assert not unknown, unknown
    return {role: cells.get(role, default) for role in ROLES}


#: a POST-only page behind the login: the login page for anyone signed out, 405 for a GET otherwise
SIGNED_IN_POST_ONLY = row(405, anon=302, peer=302)
#: a POST-only API action behind authentication: 401 without credentials, 405 for a GET otherwise
API_POST_ONLY = row(405, anon=401, peer=401)

# route name -> {role: expected GET status}, on the objects ``services_world`` builds (ROUTE_KWARGS).
MATRIX = {
    # --- accounts -------------------------------------------------------------------------------------
    # The members page of organisation A: its TTO managers and staff decide memberships; a member who
    # is not a manager (the owner) is refused like everyone else.
    "accounts:organization_members": row(403, anon=302, peer=302, tto_manager=200, staff=200),
    # Verifying an organisation is a staff decision; moderators have the admin but not this view.
    "accounts_organizations:verify": STAFF_ADMIN,
    # Editing an organisation (our edit view, saving through the audited service): staff; moderators
    # may only look at the list.
    "accounts_organizations:edit": STAFF_ADMIN,
    # --- listings API ---------------------------------------------------------------------------------
    # A draft request of organisation B: its members and the reviewers (moderators, staff) only; to
    # anyone else it does not exist.
    "api:request-detail": row(404, business=200, moderator=200, staff=200),
    "api:request-renew": POST_ONLY,
    "api:request-submit": POST_ONLY,
    "api:technology-renew": POST_ONLY,
    "api:technology-submit": POST_ONLY,
    # --- support API (a request of the business, quoted by staff) -------------------------------------
    # The requester and staff see it; for everyone else signed in it does not exist.
    "api:service-request-detail": row(404, anon=401, peer=401, business=200, staff=200),
    "api:service-request-accept": API_POST_ONLY,
    "api:service-request-assign": API_POST_ONLY,
    "api:service-request-cancel": API_POST_ONLY,
    "api:service-request-decline": API_POST_ONLY,
    "api:service-request-deliver": API_POST_ONLY,
    "api:service-request-quote": API_POST_ONLY,
    "api:service-request-start": API_POST_ONLY,
    # --- API tokens: the detail route only revokes (DELETE) ---------------------------------------------
    "api:token-detail": API_POST_ONLY,
    # --- statistics report (the yearly report's spreadsheet): staff only --------------------------------
    "cms_statistics_report": STAFF_ADMIN,
    # --- federation protocol: a registered peer's signature, nothing else -------------------------------
    "federation-inquiry-status": POST_ONLY,
    "federation-listing": row(401, peer=200),
    # --- federation admin and people's pages -----------------------------------------------------------
    "federation-peers:dashboard": STAFF_ADMIN,
    # Registering, changing and removing peers (their keys decide who may call us): staff only.
    "federation-peers:add": STAFF_ADMIN,
    "federation-peers:edit": STAFF_ADMIN,
    "federation-peers:delete": STAFF_ADMIN,
    # The form to send interest in a peer's listing: every signed-in person (who may send is decided by
    # their verified organisations, on the form).
    "federation:inquire": SIGNED_IN,
    "federation:received_decide": SIGNED_IN_POST_ONLY,
    # An inquiry received for organisation A's listing: A's members and staff.
    "federation:received_detail": row(404, anon=302, peer=302, owner=200, tto_manager=200, staff=200),
    # An inquiry organisation B forwarded to a peer: B's members and staff.
    "federation:sent_detail": row(404, anon=302, peer=302, business=200, staff=200),
    # --- moderation -------------------------------------------------------------------------------------
    "listing-moderation:review": MODERATION_ADMIN,
    # --- public listings pages ---------------------------------------------------------------------------
    "listings:expert_detail": PUBLIC,
    # Interest in a live listing: the login page for the signed-out, the deal room's inquiry for the rest.
    "listings:express_interest": row(302),
    # Matches of organisation A's live listing: its people, brokers and staff; moderators review
    # listings, they do not broker them.
    "listings:matches": row(403, anon=302, peer=302, owner=200, tto_manager=200, broker=200, staff=200),
    "listings:organization_detail": PUBLIC,
    "listings:request_detail": row(404, business=200, moderator=200, staff=200),
    "listings:save_toggle": POST_ONLY,
    # The owner's saved search: its owner is sent to the list it saved; anyone else signed in gets 404.
    "listings:saved_search_run": row(404, anon=302, peer=302, owner=302),
    # --- notifications ---------------------------------------------------------------------------------
    "notifications:read": SIGNED_IN_POST_ONLY,
    # --- portal -----------------------------------------------------------------------------------------
    "portal:listing_action": SIGNED_IN_POST_ONLY,
    # The new-listing form: anyone signed in (without an organisation it says how to join one).
    "portal:listing_create": SIGNED_IN,
    # Files of organisation A's draft: its people edit them; reviewers may look at the listing but not
    # change its files; to others it does not exist.
    "portal:listing_media": row(
        404, anon=302, peer=302, owner=200, tto_manager=200, moderator=403, staff=403
    ),
    # The draft's statistics: whoever may open it in the portal (its people and the reviewers).
    "portal:listing_stats": row(
        404, anon=302, peer=302, owner=200, tto_manager=200, moderator=200, staff=200
    ),
    "portal:media_remove": SIGNED_IN_POST_ONLY,
    # Organisation A's portfolio: its TTO managers and staff.
    "portal:portfolio": row(403, anon=302, peer=302, tto_manager=200, staff=200),
    "portal:revision_action": SIGNED_IN_POST_ONLY,
    # --- support pages ------------------------------------------------------------------------------------
    "support:action": SIGNED_IN_POST_ONLY,
    "support:detail": row(404, anon=302, peer=302, business=200, staff=200),
}

# name -> function(world) -> reverse() kwargs
ROUTE_KWARGS = {
    "accounts:organization_members": lambda w: {"pk": w["org_a"].pk},
    "accounts_organizations:verify": lambda w: {"pk": w["unverified"].pk},
    "accounts_organizations:edit": lambda w: {"pk": w["org_a"].pk},
    "api:request-detail": lambda w: {"pk": w["request_b"].pk},
    "api:request-renew": lambda w: {"pk": w["request_b"].pk},
    "api:request-submit": lambda w: {"pk": w["request_b"].pk},
    "api:technology-renew": lambda w: {"pk": w["live"].pk},
    "api:technology-submit": lambda w: {"pk": w["draft"].pk},
    "api:service-request-detail": lambda w: {"pk": w["support"].pk},
    "api:service-request-accept": lambda w: {"pk": w["support"].pk},
    "api:service-request-assign": lambda w: {"pk": w["support"].pk},
    "api:service-request-cancel": lambda w: {"pk": w["support"].pk},
    "api:service-request-decline": lambda w: {"pk": w["support"].pk},
    "api:service-request-deliver": lambda w: {"pk": w["support"].pk},
    "api:service-request-quote": lambda w: {"pk": w["support"].pk},
    "api:service-request-start": lambda w: {"pk": w["support"].pk},
    "api:token-detail": lambda w: {"pk": w["token"].pk},
    "cms_statistics_report": lambda w: {"fmt": "xlsx"},
    "federation-inquiry-status": lambda w: {"callback_id": str(w["sent_elsewhere"].callback_id)},
    "federation-listing": lambda w: {"ref": w["live_ref"]},
    "federation-peers:dashboard": lambda w: {"pk": w["peer"].pk},
    "federation-peers:edit": lambda w: {"pk": w["peer"].pk},
    "federation-peers:delete": lambda w: {"pk": w["peer"].pk},
    "federation:inquire": lambda w: {"listing_pk": w["federated"].pk},
    "federation:received_decide": lambda w: {"pk": w["received"].pk, "decision": "accept"},
    "federation:received_detail": lambda w: {"pk": w["received"].pk},
    "federation:sent_detail": lambda w: {"pk": w["sent"].pk},
    "listing-moderation:review": lambda w: {"pk": w["awaiting"].pk},
    "listings:expert_detail": lambda w: {"slug": w["expert"].slug},
    "listings:express_interest": lambda w: {"pk": w["live"].pk},
    "listings:matches": lambda w: {"pk": w["live"].pk},
    "listings:organization_detail": lambda w: {"ref": w["org_a"].ref},
    "listings:request_detail": lambda w: {"pk": w["request_b"].pk},
    "listings:save_toggle": lambda w: {"pk": w["live"].pk},
    "listings:saved_search_run": lambda w: {"pk": w["saved_search"].pk},
    "notifications:read": lambda w: {"pk": w["notification"].pk},
    "portal:listing_action": lambda w: {"pk": w["draft"].pk, "action": "submit"},
    "portal:listing_create": lambda w: {"kind": "offer"},
    "portal:listing_media": lambda w: {"pk": w["draft"].pk},
    "portal:listing_stats": lambda w: {"pk": w["draft"].pk},
    "portal:media_remove": lambda w: {
        "pk": w["live"].pk,
        "which": "attachment",
        "item_pk": w["secret"].pk,
    },
    "portal:portfolio": lambda w: {"pk": w["org_a"].pk},
    "portal:revision_action": lambda w: {"pk": w["revision"].pk, "action": "tto_approve"},
    "support:action": lambda w: {"pk": w["support"].pk, "name": "quote"},
    "support:detail": lambda w: {"pk": w["support"].pk},
}

OTHER_PEER_KEY = signatures.generate_private_key_b64()


def _organization_of(user) -> Organization:
    return Membership.objects.select_related("organization").get(user=user).organization


@pytest.fixture
def services_world(world, settings):  # noqa: F811 - the imported fixture
    """``world`` plus every object the routes of this module point at."""
    settings.FEDERATION_PRIVATE_KEY = signatures.generate_private_key_b64()  # never write var/
    users = world["users"]
    owner, business, staff = users[OWNER], users[BUSINESS], users[STAFF]
    org_a, org_b = world["draft"].organization, _organization_of(business)
    live, peer = world["live"], world["peer"]

    # A support request of the business for organisation B, quoted by staff.
    support = support_services.service_request_create(
        actor=business,
        kind="consulting",
        description="Cần tư vấn hợp đồng li-xăng công nghệ.",
        organization=org_b,
    )
    support_services.service_request_quote(
        actor=staff,
        request=support,
        amount_vnd=12_000_000,
        description="Gói tư vấn hợp đồng",
        valid_until=timezone.localdate() + dt.timedelta(days=7),
    )
    # A draft request of organisation B and a listing of A awaiting the moderators.
    request_b = RequestListingFactory(organization=org_b, created_by=business)
    awaiting = ListingFactory(organization=org_a, created_by=owner, state=ListingState.AWAITING_MODERATION)
    # The owner edits the live listing: a revision waits for A's TTO manager.
    revision = listing_update(actor=owner, listing=live, data={"title_vi": "Tên mới chờ duyệt"})
    assert isinstance(revision, ListingRevision)
    notification = Notification.objects.create(
        recipient=owner, kind="test", subject="Tin của bạn đã được duyệt", body="…", url="/vi/portal/"
    )
    saved_search = saved_search_create(user=owner, kind="offer", params={"q": "nước thải"}, name="Nước thải")
    token, _key = api_token_create(user=owner, name="Khóa thử")
    expert = ExpertProfile.objects.create(
        user=owner, organization=org_a, slug="nguyen-van-chu", public=True, bio_vi="Chuyên gia."
    )
    unverified = OrganizationFactory(verified=False)
    pending_member = MembershipFactory(organization=org_a, status=MembershipStatus.PENDING)

    # Federation: the live listing in our change log, a peer's listing, inquiries both ways.
    changelog.changelog_record(listing_id=live.pk)
    live_ref = changelog.latest_entries().get(listing_id=live.pk).ref
    federated = ListingFactory(published=True, origin="dongnai", ref="dn-001", search_index=False)
    other_peer = Peer.objects.create(
        name="Sàn Bình Dương",
        origin="binhduong",
        base_url="http://127.0.0.1:9",
        public_key=signatures.public_key_b64(signatures.private_key_from_b64(OTHER_PEER_KEY)),
    )

    def forwarded(to_peer, listing, **kw):
        return ForwardedInquiry.objects.create(
            peer=to_peer,
            listing=listing,
            ref=listing.ref,
            listing_title=listing.title_vi,
            user=business,
            organization=org_b,
            buyer_name=business.full_name,
            buyer_organization=org_b.name,
            buyer_country="VN",
            buyer_email=business.email,
            message="Chúng tôi muốn ứng dụng công nghệ này.",
            status=ForwardedStatus.DELIVERED,
            remote_id="17",
            **kw,
        )

    sent = forwarded(peer, federated)
    elsewhere = ListingFactory(published=True, origin="binhduong", ref="bd-001", search_index=False)
    sent_elsewhere = forwarded(other_peer, elsewhere)
    received = IncomingInquiry.objects.create(
        peer=peer,
        callback_id="cb-001",
        listing=live,
        ref=live.ref,
        organization=org_a,
        buyer_name="Trần Thị B",
        buyer_organization="Công ty Đồng Nai",
        buyer_country="VN",
        message="Chúng tôi quan tâm.",
        status=IncomingStatus.RECEIVED,
    )
    return {
        **world,
        "org_a": org_a,
        "org_b": org_b,
        "support": support,
        "request_b": request_b,
        "awaiting": awaiting,
        "revision": revision,
        "notification": notification,
        "saved_search": saved_search,
        "token": token,
        "expert": expert,
        "unverified": unverified,
        "pending_member": pending_member,
        "live_ref": live_ref,
        "federated": federated,
        "sent": sent,
        "sent_elsewhere": sent_elsewhere,
        "received": received,
    }


def test_matrix_rows_name_every_role():
    for name, table in MATRIX.items():
        assert set(table) == set(ROLES), name
    assert set(ROUTE_KWARGS) <= set(MATRIX)


def test_get_status_per_role(services_world):
    """Every role against every route in one pass; the failure lists every cell that differs."""
    w = services_world
    wrong = _get_mismatches(MATRIX, _clients(w), lambda name: _route_url(name, w, ROUTE_KWARGS))
    assert not wrong, "\n".join(wrong)


# --- unsafe methods ----------------------------------------------------------------------------------------
# (route, method, kwargs, body, JSON?, {role: expected status}) — only roles the write must refuse. PEER
# sends a request signed with the peer's key (which only the federation endpoints read).
NOTE = {"note": "Không hợp lệ"}
WRITE_MATRIX = [
    # support pages: outsiders do not see the request (404); the requester may not quote (refused with a
    # message on the page, 302 back to it)
    (
        "support:action",
        "POST",
        lambda w: {"pk": w["support"].pk, "name": "quote"},
        {"amount_vnd": "1000", "vat_rate": "10", "description": "Giá giả", "valid_until": "2099-01-01"},
        False,
        row(404, anon=302, peer=302, business=302, staff=None),
    ),
    (
        "support:action",
        "POST",
        lambda w: {"pk": w["support"].pk, "name": "decline"},
        NOTE,
        False,
        row(404, anon=302, peer=302, business=302, staff=None),
    ),
    # support API: 401 without credentials, 404 to whoever may not see it, 403 to the requester for the
    # staff's actions, 400 for an accept without a quote of this request
    *[
        (
            f"api:service-request-{verb}",
            "POST",
            lambda w: {"pk": w["support"].pk},
            body,
            True,
            row(404, anon=401, peer=401, business=business_status, staff=None),
        )
        for verb, body, business_status in (
            ("quote", {"amount_vnd": 1000, "description": "Giá giả", "valid_until": "2099-01-01"}, 403),
            ("assign", {"assignee": None}, 403),
            ("start", {}, 403),
            ("deliver", NOTE, 403),
            ("decline", NOTE, 403),
            ("cancel", NOTE, None),
            ("accept", {"quote": 0}, 404),
        )
    ],
    # listings API: a draft is invisible (404) to all but its organisation's people and the reviewers,
    # who may not submit or renew it (403); a live listing is public, so outsiders get 403
    *[
        (name, "POST", kwargs, {}, True, expected)
        for name, kwargs, expected in (
            (
                "api:request-submit",
                lambda w: {"pk": w["request_b"].pk},
                row(404, anon=401, peer=401, moderator=403, staff=403, business=None),
            ),
            (
                "api:request-renew",
                lambda w: {"pk": w["request_b"].pk},
                row(404, anon=401, peer=401, moderator=403, staff=403, business=None),
            ),
            (
                "api:technology-submit",
                lambda w: {"pk": w["draft"].pk},
                row(404, anon=401, peer=401, moderator=403, staff=403, owner=None, tto_manager=None),
            ),
            (
                "api:technology-renew",
                lambda w: {"pk": w["live"].pk},
                row(403, anon=401, peer=401, owner=None, tto_manager=None),
            ),
        )
    ],
    (
        "api:request-detail",
        "PATCH",
        lambda w: {"pk": w["request_b"].pk},
        {"title_vi": "Bị sửa trái phép"},
        True,
        row(404, anon=401, peer=401, moderator=403, staff=403, business=None),
    ),
    # API tokens: only their holder revokes them; anyone else's id is a 404
    (
        "api:token-detail",
        "DELETE",
        lambda w: {"pk": w["token"].pk},
        {},
        True,
        row(404, anon=401, peer=401, owner=None),
    ),
    # notifications: someone else's is a 404
    (
        "notifications:read",
        "POST",
        lambda w: {"pk": w["notification"].pk},
        {},
        False,
        row(404, anon=302, peer=302, owner=None),
    ),
    # memberships of A: only its TTO managers and staff approve
    (
        "accounts:organization_members",
        "POST",
        lambda w: {"pk": w["org_a"].pk},
        {"membership": "PENDING", "action": "approve"},
        False,
        row(403, anon=302, peer=302, tto_manager=None, staff=None),
    ),
    # staff screens in the admin: everyone else is sent away
    (
        "accounts_organizations:verify",
        "POST",
        lambda w: {"pk": w["unverified"].pk},
        {},
        False,
        row(302, staff=None),
    ),
    (
        "accounts_organizations:edit",
        "POST",
        lambda w: {"pk": w["org_a"].pk},
        {"ref": "bi-sua", "name": "Tổ chức bị sửa trái phép", "kind": "university", "country": "VN"},
        False,
        row(302, staff=None),
    ),
    *[
        (name, "POST", kwargs, data, False, row(302, staff=None))
        for name, kwargs, data in (
            (
                "federation-peers:add",
                lambda w: {},
                {"name": "Sàn giả", "origin": "gia", "base_url": "http://127.0.0.1:9", "public_key": "x"},
            ),
            (
                "federation-peers:edit",
                lambda w: {"pk": w["peer"].pk},
                {"name": "Sàn bị sửa", "origin": "dongnai", "base_url": "http://127.0.0.1:8"},
            ),
            ("federation-peers:delete", lambda w: {"pk": w["peer"].pk}, {}),
        )
    ],
    (
        "federation-peers:dashboard",
        "POST",
        lambda w: {"pk": w["peer"].pk},
        {},
        False,
        row(302, staff=None),
    ),
    (
        "listing-moderation:review",
        "POST",
        lambda w: {"pk": w["awaiting"].pk},
        {"action": "publish"},
        False,
        row(302, moderator=None, staff=None),
    ),
    # portal: the pending revision waits for A's TTO manager; the files of A's listings are its people's
    (
        "portal:revision_action",
        "POST",
        lambda w: {"pk": w["revision"].pk, "action": "tto_approve"},
        {},
        False,
        row(404, anon=302, peer=302, owner=403, moderator=403, staff=403, tto_manager=None),
    ),
    (
        "portal:media_remove",
        "POST",
        lambda w: {"pk": w["live"].pk, "which": "attachment", "item_pk": w["secret"].pk},
        {},
        False,
        row(404, anon=302, peer=302, moderator=403, staff=403, owner=None, tto_manager=None),
    ),
    (
        "portal:listing_media",
        "POST",
        lambda w: {"pk": w["draft"].pk},
        {"which": "attachment"},
        False,
        row(404, anon=302, peer=302, moderator=403, staff=403, owner=None, tto_manager=None),
    ),
    # a new listing for organisation A by people who are not its members: the form refuses the choice
    (
        "portal:listing_create",
        "POST",
        lambda w: {"kind": "offer"},
        {"organization": "ORG_A", "title_vi": "Tin giả mạo tổ chức A"},
        False,
        row(200, anon=302, peer=302, owner=None, tto_manager=None),
    ),
    # federation, people's side: only A's members see the received inquiry (and its signatories decide)
    (
        "federation:received_decide",
        "POST",
        lambda w: {"pk": w["received"].pk, "decision": "accept"},
        {"reason": ""},
        False,
        row(404, anon=302, peer=302, owner=None, tto_manager=None, staff=None),
    ),
    # sending interest needs a verified organisation: the people without one get the form back
    (
        "federation:inquire",
        "POST",
        lambda w: {"listing_pk": w["federated"].pk},
        {"organization": "ORG_B", "message": "Quan tâm"},
        False,
        row(200, anon=302, peer=302, business=None, owner=None, tto_manager=None, other_researcher=None),
    ),
    # federation protocol: a session is no signature; a peer may not answer an inquiry sent elsewhere
    (
        "federation-inquiry-status",
        "POST",
        lambda w: {"callback_id": str(w["sent_elsewhere"].callback_id)},
        {"status": "accepted", "reason": "Giả mạo"},
        True,
        row(401, peer=404),
    ),
    # a peer's interest in a listing we never published: it does not exist (404), not "gone" (410), which
    # would tell the peer that such a ref is being prepared here
    (
        "federation-inquiries",
        "POST",
        lambda w: {},
        {
            "callback_id": "cb-draft",
            "ref": "DRAFT_REF",
            "message": "Quan tâm",
            "buyer": {"name": "Trần Thị B", "organization": "Công ty Đồng Nai", "country": "VN"},
        },
        True,
        row(401, peer=404),
    ),
    # saving needs a sign-in
    (
        "listings:save_toggle",
        "POST",
        lambda w: {"pk": w["live"].pk},
        {"action": "save"},
        False,
        {ANON: 302, PEER: 302},
    ),
]

# What a refused write could have touched. Every row of these tables is compared before and after.
WATCHED = (
    Listing,
    ListingRevision,
    ListingAttachment,
    ListingImage,
    SavedListing,
    SavedSearch,
    Notification,
    Membership,
    Organization,
    ForwardedInquiry,
    IncomingInquiry,
    Peer,
)


def _state():
    from exchange.accounts.models import ApiToken
    from exchange.support.models import ServiceQuote, ServiceRequest

    tables = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (*WATCHED, ApiToken, ServiceRequest, ServiceQuote)
    }
    # Refused federation requests are audited on purpose (federation.request_refused); nothing else may be.
    tables["AuditLog"] = list(
        AuditLog.objects.exclude(action="federation.request_refused").order_by("pk").values()
    )
    return tables


def _body(w, data: dict, as_json: bool) -> tuple[bytes, str]:
    placeholders = {
        "PENDING": w["pending_member"].pk,
        "ORG_A": w["org_a"].pk,
        "ORG_B": w["org_b"].pk,
        "DRAFT_REF": w["draft"].ref,
    }
    data = {
        key: placeholders.get(value, value) if isinstance(value, str) else value
        for key, value in data.items()
    }
    if as_json:
        return json.dumps(data).encode(), "application/json"
    return urlencode(data).encode(), "application/x-www-form-urlencoded"


def _send(clients, role, method, url, body: bytes, content_type: str):
    headers = {}
    if role == PEER:
        key = signatures.private_key_from_b64(PEER_KEY)
        headers = signatures.sign_request(
            method, f"http://testserver{url}", body=body, private_key=key, key_id="dongnai"
        )
    return clients[role].generic(method, url, data=body, content_type=content_type, headers=headers)


def test_write_matrix_names_known_routes_and_roles():
    tables = all_tables()
    for name, method, _kwargs, _data, _json, expected in WRITE_MATRIX:
        assert name in tables, name
        assert set(expected) <= set(ROLES), name
        assert method in ("POST", "PATCH", "DELETE"), name


def test_refused_writes_change_nothing(services_world):
    """Every refused write answers its expected status, and afterwards every watched row is unchanged."""
    w = services_world
    clients = _clients(w)
    before = _state()
    wrong = []
    for name, method, kwargs, data, as_json, expected in WRITE_MATRIX:
        url = reverse(name, kwargs=kwargs(w) or None)
        body, content_type = _body(w, data, as_json)
        for role, status in expected.items():
            if status is None:  # a role this write is for: not exercised here
                continue
            got = _send(clients, role, method, url, body, content_type).status_code
            if got != status:
                wrong.append(f"{method} {name} {role}: expected {status}, got {got}")
    assert not wrong, "\n".join(wrong)
    after = _state()
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, {table: (before[table], after[table]) for table in changed}


def test_peer_record_and_support_pages_leak_nothing_confidential(services_world):
    """What a peer reads of the live listing carries neither its confidential file nor its pending edit;
    the support request's quote is not in the pages of people who may not see the request."""
    w = services_world
    clients = _clients(w)
    record = _get(clients, PEER, reverse("federation-listing", kwargs={"ref": w["live_ref"]}))
    assert record.status_code == 200
    for needle in (w["secret"].private_file.name, w["secret"].original_name, "Tên mới chờ duyệt"):
        assert needle.encode() not in record.content, needle
    listing_page = reverse("listings:technology_detail", kwargs={"pk": w["live"].pk})
    for role in (ANON, OWNER, BUSINESS, BROKER):
        content = _get(clients, role, listing_page).content
        assert "Tên mới chờ duyệt".encode() not in content, role  # the edit is not live until approved
    # The request is in its requester's list and in nobody else's; its quote only on its own page.
    support_list = reverse("support:list")
    detail = reverse("support:detail", kwargs={"pk": w["support"].pk})
    assert f'href="{detail}"'.encode() in _get(clients, BUSINESS, support_list).content
    for role in (OWNER, TTO, BROKER, MODERATOR):
        assert f'href="{detail}"'.encode() not in _get(clients, role, support_list).content, role
    assert "Gói tư vấn hợp đồng".encode() in _get(clients, BUSINESS, detail).content
