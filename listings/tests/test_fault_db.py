"""Fault test (issue #11): a database error in the middle of an import and of a listing transition.

The error is the database driver's own ``OperationalError`` raised on the Nth INSERT into a table
(``exchange.core.tests.db_faults``), so the code under test meets it exactly where a dropped connection
or a lock timeout would hit it - after earlier rows of the same transaction were written. All or nothing:
nothing partial remains, the person gets a clear message, and the same import or transition succeeds once
the database is healthy. Runs on SQLite and on PostgreSQL (``scripts/pg-test.sh``).
"""

import copy
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.urls import reverse

from exchange.accounts.models import MembershipRole, Organization
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog, Notification
from exchange.core.tests.db_faults import fail_on
from listings.importing import ImportFailed, import_records
from listings.lifecycle import ListingState
from listings.models import IPRight, Listing
from listings.services import listing_publish

from .factories import ListingFactory
from .test_interchange import EXAMPLE

pytestmark = pytest.mark.django_db


def rec(ref, org_ref, org_name="Viện Mới Thành Lập"):
    data = copy.deepcopy(EXAMPLE)
    data["ref"] = ref
    data["organization"] = {"ref": org_ref, "name": org_name}
    return data


def _counts():
    return (
        Listing.objects.count(),
        IPRight.objects.count(),
        Organization.objects.count(),
        AuditLog.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def staff(db):
    return UserFactory(roles=["staff"])


@pytest.mark.parametrize(
    ("table", "nth"), [("listings_listing", 4), ("listings_ipright", 3), ("core_auditlog", 5)]
)
def test_import_rolls_back_entirely_on_a_database_error(
    staff, table, nth, django_capture_on_commit_callbacks
):
    records = [rec(f"vien-moi-{n}", "vien-moi") for n in range(6)]
    before = _counts()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        fail_on(table, nth=nth),
        pytest.raises(ImportFailed, match="nothing was imported"),
    ):
        import_records(records, actor=staff)
    assert _counts() == before  # not one listing, IP row, organisation or audit row of the import
    assert not Organization.objects.filter(ref="vien-moi").exists()
    assert callbacks == []  # no index update, no federation change, no email queued

    report = import_records(records, actor=staff)  # the database is back: the same file goes in whole
    assert report.ok and report.created == 6 and report.organizations_created == ["vien-moi"]
    assert Listing.objects.filter(ref__startswith="vien-moi-").count() == 6


def test_import_command_says_nothing_was_imported(tmp_path, staff):
    org = OrganizationFactory(ref="hcmut")
    path = tmp_path / "tin.jsonl"
    path.write_text("\n".join(json.dumps(rec(f"bk-{n}", org.ref, org.name)) for n in range(3)))
    with fail_on("listings_listing", nth=2), pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_technologies", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Listing.objects.filter(ref__startswith="bk-").exists()
    out = io.StringIO()
    call_command("import_technologies", str(path), stdout=out, stderr=io.StringIO())
    assert "created 3" in out.getvalue()


def test_portal_bulk_import_shows_a_clear_error_and_writes_nothing(client):
    org = OrganizationFactory()
    tto = MembershipFactory(organization=org, role=MembershipRole.TTO_MANAGER).user
    client.force_login(tto)
    body = "\n".join(json.dumps(rec(f"p-{n}", org.ref, org.name), ensure_ascii=False) for n in range(3))

    def upload():
        return SimpleUploadedFile("tin.jsonl", body.encode(), "application/json")

    before = _counts()
    with fail_on("listings_listing", nth=3):
        response = client.post(reverse("portal:bulk_import"), {"organization": org.pk, "file": upload()})
    assert response.status_code == 200
    assert "Lỗi cơ sở dữ liệu khi nhập; chưa có tin nào được nhập" in response.content.decode()
    assert _counts() == before
    response = client.post(reverse("portal:bulk_import"), {"organization": org.pk, "file": upload()})
    assert response.context["report"].created == 3


@pytest.mark.parametrize(("table", "verb"), [("core_notification", "INSERT"), ("core_auditlog", "INSERT")])
def test_publish_is_all_or_nothing(table, verb, django_capture_on_commit_callbacks):
    org = OrganizationFactory()
    owner = MembershipFactory(organization=org).user
    moderator = UserFactory(roles=["moderator"])
    listing = ListingFactory(organization=org, created_by=owner, state=ListingState.AWAITING_MODERATION)
    before = _counts()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        fail_on(table, verb=verb),
        pytest.raises(OperationalError, match="injected fault"),
    ):
        listing_publish(actor=moderator, listing=listing)
    fresh = Listing.objects.get(pk=listing.pk)
    assert fresh.state == ListingState.AWAITING_MODERATION
    assert fresh.published_at is None and fresh.expires_at is None
    assert _counts() == before
    assert callbacks == []  # not indexed, not pushed to peers, no email

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        listing_publish(actor=moderator, listing=fresh)
    assert Listing.objects.get(pk=listing.pk).state == ListingState.PUBLISHED
    assert AuditLog.objects.filter(action="listing.publish").count() == 1
    assert callbacks


def test_portal_transition_shows_a_clear_error_and_changes_nothing(client, caplog):
    """Through the portal's button: no 500 page, the listing as it was, the reason logged, retry works."""
    org = OrganizationFactory()
    owner = MembershipFactory(organization=org).user
    listing = ListingFactory(organization=org, created_by=owner, state=ListingState.DRAFT)
    client.force_login(owner)
    url = reverse("portal:listing_action", args=[listing.pk, "submit"])
    before = _counts()
    with fail_on("core_auditlog"), caplog.at_level("ERROR", logger="exchange.portal.views"):
        response = client.post(url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == reverse("portal:listing_detail", args=[listing.pk])
    assert "chưa có gì thay đổi. Vui lòng thử lại." in response.content.decode()
    assert "Đã gửi duyệt." not in response.content.decode()
    assert Listing.objects.get(pk=listing.pk).state == ListingState.DRAFT
    assert _counts() == before
    assert any("injected fault" in (r.exc_text or "") for r in caplog.records)  # logged with its traceback

    client.post(url)  # no TTO manager in this organisation: straight to moderation
    assert Listing.objects.get(pk=listing.pk).state == ListingState.AWAITING_MODERATION
