"""Who may reach which of our routes (issue #11): one table per route, every role, the expected status.

A route found by walking the URL resolver that has neither a table in MATRIX nor a place in PENDING fails
``test_every_route_has_an_entry``, so a new route cannot ship without someone deciding who may use it.
PENDING lists routes whose tables (they need deals, payments, valuations… built as fixtures) are still
to be written; it must only shrink."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory, staff_user
from listings.models import ListingAttachment
from listings.tests.factories import ListingFactory
from regional_network import signatures
from regional_network.models import Peer
from tests.permission_matrix_support import (
    ANON,
    BROKER,
    BUSINESS,
    MODERATOR,
    OTHER,
    OWNER,
    PEER,
    ROLES,
    STAFF,
    TTO,
    all_tables,
    our_routes,
)

# Profiles shared by many routes (a route's own dict says when it differs from all of them).

#: every signed-in person; the login page for anyone else
SIGNED_IN = {
    ANON: 302,
    OTHER: 200,
    OWNER: 200,
    TTO: 200,
    BUSINESS: 200,
    BROKER: 200,
    MODERATOR: 200,
    STAFF: 200,
    PEER: 302,
}

#: the public site: everyone
PUBLIC = {
    ANON: 200,
    OTHER: 200,
    OWNER: 200,
    TTO: 200,
    BUSINESS: 200,
    BROKER: 200,
    MODERATOR: 200,
    STAFF: 200,
    PEER: 200,
}

#: a POST-only endpoint: GET is not allowed to anyone
POST_ONLY = {
    ANON: 405,
    OTHER: 405,
    OWNER: 405,
    TTO: 405,
    BUSINESS: 405,
    BROKER: 405,
    MODERATOR: 405,
    STAFF: 405,
    PEER: 405,
}

#: staff-only admin pages: everyone else is sent to the admin login
STAFF_ADMIN = {
    ANON: 302,
    OTHER: 302,
    OWNER: 302,
    TTO: 302,
    BUSINESS: 302,
    BROKER: 302,
    MODERATOR: 302,
    STAFF: 200,
    PEER: 302,
}

#: staff only: other signed-in people are refused
STAFF_ONLY = {
    ANON: 302,
    OTHER: 403,
    OWNER: 403,
    TTO: 403,
    BUSINESS: 403,
    BROKER: 403,
    MODERATOR: 403,
    STAFF: 200,
    PEER: 302,
}

#: admin pages for moderators and staff
MODERATION_ADMIN = {
    ANON: 302,
    OTHER: 302,
    OWNER: 302,
    TTO: 302,
    BUSINESS: 302,
    BROKER: 302,
    MODERATOR: 200,
    STAFF: 200,
    PEER: 302,
}

# route name -> {role: expected GET status}. 302 for ANON is the redirect to the login page; PEER is an
# unauthenticated request signed with a registered peer exchange's key (regional_network.signatures).
MATRIX = {
    "accounts:delete": SIGNED_IN,
    "accounts:export": SIGNED_IN,
    "accounts:memberships": SIGNED_IN,
    "accounts:organization_new": SIGNED_IN,
    "accounts:privacy": PUBLIC,
    "accounts:profile": SIGNED_IN,
    "accounts_memberships:index": STAFF_ADMIN,
    "accounts_memberships:index_results": STAFF_ADMIN,
    "accounts_organizations:index": MODERATION_ADMIN,
    "accounts_organizations:index_results": MODERATION_ADMIN,
    "api:deal-list": {
        ANON: 401,
        OTHER: 200,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 200,
        BROKER: 200,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 401,
    },
    "api:not-found": {
        ANON: 404,
        OTHER: 404,
        OWNER: 404,
        TTO: 404,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 404,
        STAFF: 404,
        PEER: 404,
    },
    "api:request-list": PUBLIC,
    "api:service-request-list": {
        ANON: 401,
        OTHER: 200,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 200,
        BROKER: 200,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 401,
    },
    "api:technology-list": PUBLIC,
    "api:token-list": {
        ANON: 401,
        OTHER: 200,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 200,
        BROKER: 200,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 401,
    },
    "api:token-obtain": POST_ONLY,
    "api:valuation-calculate": POST_ONLY,
    "api:valuation-list": {
        ANON: 401,
        OTHER: 200,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 200,
        BROKER: 200,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 401,
    },
    "audit-log:index": STAFF_ADMIN,
    "audit-log:index_results": STAFF_ADMIN,
    "cms_statistics": STAFF_ADMIN,
    "deals:list": SIGNED_IN,
    "federation-changes": {
        ANON: 401,
        OTHER: 401,
        OWNER: 401,
        TTO: 401,
        BUSINESS: 401,
        BROKER: 401,
        MODERATOR: 401,
        STAFF: 401,
        PEER: 200,
    },
    "federation-inquiries": POST_ONLY,
    "federation-inventory": {
        ANON: 401,
        OTHER: 401,
        OWNER: 401,
        TTO: 401,
        BUSINESS: 401,
        BROKER: 401,
        MODERATOR: 401,
        STAFF: 401,
        PEER: 200,
    },
    "federation-notify": POST_ONLY,
    "federation:inquiries": SIGNED_IN,
    "health-search": PUBLIC,
    "listing-moderation:index": MODERATION_ADMIN,
    "listing-moderation:index_results": MODERATION_ADMIN,
    "listings:expert_list": PUBLIC,
    "listings:introduce": POST_ONLY,
    "listings:introductions": SIGNED_IN,
    "listings:request_list": PUBLIC,
    "listings:saved_search_create": POST_ONLY,
    "listings:saved_searches": SIGNED_IN,
    "listings:suggest": PUBLIC,
    "listings:technology_list": PUBLIC,
    "notifications:list": SIGNED_IN,
    "notifications:preferences": SIGNED_IN,
    "notifications:read_all": {
        ANON: 302,
        OTHER: 405,
        OWNER: 405,
        TTO: 405,
        BUSINESS: 405,
        BROKER: 405,
        MODERATOR: 405,
        STAFF: 405,
        PEER: 302,
    },
    "oai": PUBLIC,
    "oai-techex-xsd": PUBLIC,
    "payments-stripe-webhook": POST_ONLY,
    "payments:invoices_export": STAFF_ONLY,
    "payments:ledger": STAFF_ONLY,
    "payments:staff_list": STAFF_ONLY,
    "payments:statement_import": STAFF_ONLY,
    "portal:bulk_import": {
        ANON: 302,
        OTHER: 403,
        OWNER: 403,
        TTO: 200,
        BUSINESS: 403,
        BROKER: 403,
        MODERATOR: 403,
        STAFF: 403,
        PEER: 302,
    },
    "portal:dashboard": SIGNED_IN,
    "portal:import_template": {
        ANON: 302,
        OTHER: 403,
        OWNER: 403,
        TTO: 200,
        BUSINESS: 403,
        BROKER: 403,
        MODERATOR: 403,
        STAFF: 403,
        PEER: 302,
    },
    "portal:my_listings": SIGNED_IN,
    "portal:saved": SIGNED_IN,
    "portal:tto_queue": {
        ANON: 302,
        OTHER: 403,
        OWNER: 403,
        TTO: 200,
        BUSINESS: 403,
        BROKER: 403,
        MODERATOR: 403,
        STAFF: 403,
        PEER: 302,
    },
    "robots_txt": PUBLIC,
    "set_language": {
        ANON: 302,
        OTHER: 302,
        OWNER: 302,
        TTO: 302,
        BUSINESS: 302,
        BROKER: 302,
        MODERATOR: 302,
        STAFF: 302,
        PEER: 302,
    },
    "sitemap": PUBLIC,
    "support:create": SIGNED_IN,
    "support:list": SIGNED_IN,
    "support:queue": STAFF_ONLY,
    "valuation:comparables": SIGNED_IN,
    "valuation:create": SIGNED_IN,
    "valuation:list": SIGNED_IN,
    # --- routes with URL arguments, on the objects ``world`` builds (ROUTE_KWARGS) ---
    "listings:technology_detail": {
        ANON: 404,
        OTHER: 404,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 404,
    },
    "listings:attachment": {
        ANON: 404,
        OTHER: 404,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 404,
    },
    "portal:listing_detail": {
        ANON: 302,
        OTHER: 404,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 302,
    },
    "portal:listing_edit": {
        ANON: 302,
        OTHER: 404,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 403,
        STAFF: 403,
        PEER: 302,
    },
    "api:technology-detail": {
        ANON: 404,
        OTHER: 404,
        OWNER: 200,
        TTO: 200,
        BUSINESS: 404,
        BROKER: 404,
        MODERATOR: 200,
        STAFF: 200,
        PEER: 404,
    },
}

# name -> function(world) -> reverse() kwargs, for the routes with URL arguments
ROUTE_KWARGS = {
    "listings:technology_detail": lambda w: {"pk": w["draft"].pk},  # a draft of org A
    "listings:attachment": lambda w: {"pk": w["secret"].pk},  # a confidential file of a live listing
    "portal:listing_detail": lambda w: {"pk": w["draft"].pk},
    "portal:listing_edit": lambda w: {"pk": w["draft"].pk},
    "api:technology-detail": lambda w: {"pk": w["draft"].pk},
}

# Routes still without a table (they need deals, payments, valuations, support requests… as fixtures).
# A route that is in neither MATRIX nor PENDING_ROUTES fails test_every_route_has_an_entry. Only shrink it.
PENDING_ROUTES: set[str] = set()

PEER_KEY = signatures.generate_private_key_b64()


@pytest.fixture
def world(db):
    """The organisations, the people in every role and the objects the parametrised routes point at."""
    org_a = OrganizationFactory()
    org_b = OrganizationFactory()
    org_c = OrganizationFactory()
    owner = MembershipFactory(organization=org_a, user=UserFactory(roles=["researcher"])).user
    other = MembershipFactory(organization=org_c, user=UserFactory(roles=["researcher"])).user
    tto = MembershipFactory(organization=org_a, role=MembershipRole.TTO_MANAGER).user
    business = MembershipFactory(organization=org_b, user=UserFactory(roles=["business"])).user
    draft = ListingFactory(organization=org_a, created_by=owner)
    live = ListingFactory(organization=org_a, created_by=owner, published=True)
    secret = ListingAttachment(listing=live, confidential=True, original_name="bi-mat.pdf", title="Bí mật")
    secret.private_file.save("bi-mat.pdf", ContentFile(b"%PDF-1.4 confidential"), save=False)
    secret.save()
    peer = Peer.objects.create(
        name="Sàn Đồng Nai",
        origin="dongnai",
        base_url="http://127.0.0.1:9",
        public_key=signatures.public_key_b64(signatures.private_key_from_b64(PEER_KEY)),
    )
    users = {
        ANON: None,
        PEER: None,
        OTHER: other,
        OWNER: owner,
        TTO: tto,
        BUSINESS: business,
        BROKER: UserFactory(roles=["broker"]),
        MODERATOR: UserFactory(roles=["moderator"]),
        STAFF: staff_user(),
    }
    return {"users": users, "draft": draft, "live": live, "secret": secret, "peer": peer}


def _clients(world):
    """One logged-in client per role, made once (force_login per request would dominate the run)."""
    clients = {}
    for role, user in world["users"].items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


def _get(clients, role, url):
    if role == PEER:
        key = signatures.private_key_from_b64(PEER_KEY)
        headers = signatures.sign_request("GET", f"http://testserver{url}", private_key=key, key_id="dongnai")
        return clients[role].get(url, headers=headers)
    return clients[role].get(url)


def test_every_route_has_an_entry():
    routes = our_routes()
    tables = all_tables()
    missing = routes - set(tables) - PENDING_ROUTES
    assert not missing, f"routes without a permission-matrix entry: {sorted(missing)}"
    stale = (set(tables) | PENDING_ROUTES) - routes
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"
    assert not set(tables) & PENDING_ROUTES, "a route with a table is still listed as pending"


def test_matrix_rows_name_every_role():
    for name, table in MATRIX.items():
        assert set(table) == set(ROLES), name


def _get_mismatches(matrix, clients, url_for) -> list[str]:
    """Every role against every route of ``matrix`` (``url_for(name)`` gives its URL): cells that differ."""
    wrong = []
    for name, expected in matrix.items():
        url = url_for(name)
        for role in ROLES:
            status = _get(clients, role, url).status_code
            if status != expected[role]:
                wrong.append(f"{name} {role}: expected {expected[role]}, got {status}")
    return wrong


def _route_url(name, world, route_kwargs):
    return reverse(name, kwargs=route_kwargs[name](world) if name in route_kwargs else None)


def test_get_status_per_role(world):
    """Every role against every route in one pass; the failure lists every cell that differs."""
    wrong = _get_mismatches(MATRIX, _clients(world), lambda name: _route_url(name, world, ROUTE_KWARGS))
    assert not wrong, "\n".join(wrong)


# Unsafe methods: who may POST to a write route, and proof that a refused request changed nothing.
POST_MATRIX = {
    "portal:listing_action": {ANON: 302, OTHER: 404, BUSINESS: 404, BROKER: 404, PEER: 302},
    "portal:listing_edit": {ANON: 302, OTHER: 404, BUSINESS: 404, BROKER: 404, MODERATOR: 403, STAFF: 403},
}
POST_KWARGS = {
    "portal:listing_action": lambda w: {"pk": w["draft"].pk, "action": "submit"},
    "portal:listing_edit": lambda w: {"pk": w["draft"].pk},
}


def test_refused_posts_write_nothing(world):
    """A refused POST answers the expected status and leaves the draft exactly as it was."""
    from listings.models import Listing

    clients = _clients(world)
    draft = world["draft"]
    before = Listing.objects.filter(pk=draft.pk).values("state", "title_vi", "version", "updated_at").get()
    wrong = []
    for name, expected in POST_MATRIX.items():
        url = reverse(name, kwargs=POST_KWARGS[name](world))
        for role, status in expected.items():
            got = clients[role].post(url, {"title_vi": "Bị sửa trái phép"}).status_code
            if got != status:
                wrong.append(f"POST {name} {role}: expected {status}, got {got}")
    assert not wrong, "\n".join(wrong)
    after = Listing.objects.filter(pk=draft.pk).values("state", "title_vi", "version", "updated_at").get()
    assert after == before


def test_confidential_file_never_leaks_through_public_routes(world):
    """The confidential file's name, storage path and bytes appear in no public page or API answer."""
    clients = _clients(world)
    live, secret = world["live"], world["secret"]
    urls = [
        reverse("listings:technology_detail", kwargs={"pk": live.pk}),
        reverse("api:technology-detail", kwargs={"pk": live.pk}),
        reverse("api:technology-list"),
        reverse("listings:technology_list"),
    ]
    needles = [secret.private_file.name.encode(), b"confidential"]
    for role in (ANON, OTHER, BUSINESS, BROKER, PEER):
        for url in urls:
            response = _get(clients, role, url)
            assert response.status_code == 200, (role, url)
            for needle in needles:
                assert needle not in response.content, (role, url, needle)
        assert (
            _get(clients, role, reverse("listings:attachment", kwargs={"pk": secret.pk})).status_code == 404
        )
