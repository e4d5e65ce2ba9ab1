"""The demo exchange used by ``make run`` (``seed_demo``).

Listings come from interchange files in ``cms/demo_data`` and enter THROUGH the importer
(``listings.importing.import_records``, ``is_demo=True``), so the demo is exactly what an institution's
bulk import would produce; the few listings left mid-way (draft, waiting for the TTO, waiting for a
moderator, a pending revision) go through the lifecycle services. Every organisation carries the mark
"(dữ liệu mẫu)" and ``is_demo``: real institution names appear only with that mark.
"""

from __future__ import annotations

import json
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from exchange.accounts.models import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from exchange.core.models import Province

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_MARKER_EMAIL = "admin@techex.local"
DEMO_MARK = "(dữ liệu mẫu)"

PEOPLE = [
    # email, name, roles, superuser
    (DEMO_MARKER_EMAIL, "Quản trị Sàn", ["staff"], True),
    ("moderator@techex.local", "Trần Thị Kiểm Duyệt", ["moderator"], False),
    ("tto@hcmut.techex.local", "Lê Văn Chuyển Giao", ["researcher"], False),
    ("researcher@hcmut.techex.local", "Nguyễn Văn Nghiên Cứu", ["researcher"], False),
    ("business@saigonwater.techex.local", "Phạm Thị Doanh Nghiệp", ["business"], False),
    ("broker@techex.local", "Võ Minh Môi Giới", ["broker"], False),
    ("appraiser@techex.local", "Đoàn Thị Thẩm Định", ["appraiser"], False),
]

MEMBERS = [
    ("tto@hcmut.techex.local", "hcmut", MembershipRole.TTO_MANAGER),
    ("researcher@hcmut.techex.local", "hcmut", MembershipRole.MEMBER),
    ("business@saigonwater.techex.local", "saigon-water", MembershipRole.SIGNATORY),
]

LISTING_FILES = ["offers.jsonl", "requests.jsonl"]
WORKFLOW_FILE = "workflow.jsonl"


def _load_json(name: str):
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def _seed_accounts(password: str) -> list[str]:
    summary = []
    hashed = make_password(password)  # hashed once: the same password for every demo account
    roles = {r.code: r for r in Role.objects.all()}
    for email, name, role_codes, superuser in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(
                email=email,
                password=hashed,
                full_name=name,
                is_staff=superuser,
                is_superuser=superuser,
                privacy_consent_at=timezone.now(),
                privacy_consent_version="demo",
            )
            user.save()
        user.roles.set([roles[c] for c in role_codes if c in roles])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        summary.append(f"{email} ({', '.join(role_codes)})")
    return summary


def _seed_organizations() -> int:
    kinds = {k.code: k for k in OrganizationKind.objects.all()}
    provinces = {p.name: p for p in Province.objects.all()}
    now = timezone.now()
    rows = _load_json("organizations.json")
    for row in rows:
        name = row["name"] if DEMO_MARK in row["name"] else f"{row['name']} {DEMO_MARK}"
        Organization.objects.update_or_create(
            ref=row["ref"],
            defaults={
                "name": name,
                "name_en": row.get("name_en", ""),
                "short_name": row.get("short_name", ""),
                "kind": kinds[row["kind"]],
                "province": provinces.get(row.get("province") or ""),
                "website": row.get("website", ""),
                "is_demo": True,
                "verified": True,
                "verified_at": now,
            },
        )
    return len(rows)


def _seed_memberships() -> None:
    for email, org_ref, role in MEMBERS:
        Membership.objects.update_or_create(
            user=User.objects.get(email=email),
            organization=Organization.objects.get(ref=org_ref),
            defaults={"role": role, "status": MembershipStatus.ACTIVE, "decided_at": timezone.now()},
        )


def _import(name: str, **kwargs):
    from listings.importing import import_records, read_records

    report = import_records(read_records(DATA_DIR / name), is_demo=True, **kwargs)
    if report.errors:
        raise RuntimeError(f"{name}: " + "; ".join(map(str, report.errors[:10])))
    return report


def _seed_experts() -> int:
    """Researchers' public expert profiles for the expert directory."""
    from listings import models as lmodels
    from listings.models import ExpertProfile

    fields = {f.code: f for f in lmodels.ScienceField.objects.all()}
    orgs = {o.ref: o for o in Organization.objects.filter(is_demo=True)}
    researcher = Role.objects.filter(code="researcher").first()
    count = 0
    for person in _load_json("people.json"):
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User(email=person["email"], full_name=person["name"])
            user.set_unusable_password()  # a profile for the directory; nobody signs in as them
            user.save()
            if researcher:
                user.roles.add(researcher)
        org = orgs.get(person["organization"])
        profile, _ = ExpertProfile.objects.update_or_create(
            user=user,
            defaults={
                "organization": org,
                "slug": person["slug"],
                "public": True,
                "academic_title": person["title"],
                "bio_vi": person["bio"]["vi"],
                "bio_en": person["bio"]["en"],
                "publications": person["publications"],
                "patents": person["patents"],
            },
        )
        profile.expertise_fields.set([fields[c] for c in person["expertise"] if c in fields])
        count += 1
    return count


def _seed_valuation() -> str:
    """Comparables entered by the demo appraiser and one saved valuation of the HCMUT TTO manager."""
    from listings.models import Listing
    from valuation.demo import seed as seed_valuation

    listing = (
        Listing.objects.filter(organization__ref="hcmut", state="published", kind="offer")
        .order_by("ref")
        .first()
    )
    return seed_valuation(
        owner=User.objects.get(email="tto@hcmut.techex.local"),
        appraiser=User.objects.get(email="appraiser@techex.local"),
        listing=listing,
    )


def _seed_workflow(admin: User) -> None:
    """A few listings mid-way so the moderation queue, the TTO's inbox and the portal show something."""
    from listings import services
    from listings.lifecycle import ListingState
    from listings.models import Listing, ListingRevision, RevisionState

    researcher = User.objects.get(email="researcher@hcmut.techex.local")
    tto = User.objects.get(email="tto@hcmut.techex.local")
    hcmut = Organization.objects.get(ref="hcmut")
    _import(WORKFLOW_FILE, actor=researcher, organization=hcmut)
    by_ref = {
        listing.ref: listing
        for listing in Listing.objects.filter(
            ref__in=["demo-hcmut-workflow-submitted", "demo-hcmut-workflow-moderation"]
        )
    }
    submitted = by_ref.get("demo-hcmut-workflow-submitted")
    if submitted and submitted.state == ListingState.DRAFT:
        services.listing_submit(actor=researcher, listing=submitted)  # → waits for the TTO manager
    moderation = by_ref.get("demo-hcmut-workflow-moderation")
    if moderation and moderation.state == ListingState.DRAFT:
        services.listing_submit(actor=tto, listing=moderation)  # the TTO manager sends it on to moderators
    live = (
        Listing.objects.filter(organization=hcmut, state=ListingState.PUBLISHED, kind="offer")
        .order_by("ref")
        .first()
    )
    if live and not ListingRevision.objects.filter(listing=live, state=RevisionState.PENDING).exists():
        services.revision_submit(
            actor=tto,
            listing=live,
            data={
                "summary_vi": live.summary_vi + " Bổ sung: đã vận hành thử 6 tháng tại một khu công nghiệp.",
                "trl": min(9, (live.trl or 6) + 1),
            },
        )


def _seed_pages() -> str:
    """Editorial content of the public site (cms/demo_pages.py)."""
    from .demo_pages import seed_pages

    return seed_pages()


def seed(*, password: str) -> list[str]:
    summary = _seed_accounts(password)
    n_orgs = _seed_organizations()
    _seed_memberships()
    admin = User.objects.get(email=DEMO_MARKER_EMAIL)
    counts = []
    for name in LISTING_FILES:
        report = _import(name, actor=admin, publish=True)
        counts.append(f"{name}: {report.summary()}")
    n_experts = _seed_experts()
    _seed_workflow(admin)
    summary.append(f"{n_orgs} demo organisations, {n_experts} expert profiles")
    summary.append(_seed_valuation())
    summary.append(_seed_pages())
    summary.extend(counts)
    return summary
