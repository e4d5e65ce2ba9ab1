"""Bulk import: readers, all-or-nothing, updates by ref, permissions, the command and the XLSX template."""

import copy
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from exchange.accounts.models import Organization
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog
from listings.importing import (
    COLUMN_KEYS,
    ImportFileError,
    build_xlsx_template,
    get_system_user,
    import_records,
    read_records,
)
from listings.lifecycle import ListingState
from listings.models import Listing, ListingRevision

from .factories import ListingFactory
from .test_interchange import EXAMPLE

pytestmark = pytest.mark.django_db


def rec(ref="r-1", org=None, **changes):
    data = copy.deepcopy(EXAMPLE)
    data["ref"] = ref
    if org is not None:
        data["organization"] = {"ref": org.ref, "name": org.name}
    data.update(changes)
    return data


@pytest.fixture
def org(db):
    return OrganizationFactory(ref="hcmut")


@pytest.fixture
def member(org):
    return MembershipFactory(organization=org).user


@pytest.fixture
def staff(db):
    return UserFactory(roles=["staff"])


# --- readers ------------------------------------------------------------------------------------------
def test_read_json_array_and_json_lines(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([rec("a"), rec("b")], ensure_ascii=False), encoding="utf-8")
    records = read_records(path)
    assert [r["ref"] for r in records] == ["a", "b"]
    assert records[1].label == "#2"
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in [rec("a"), rec("b")]) + "\n\n"
    records = read_records(io.BytesIO(lines.encode()), "a.jsonl")
    assert [r.label for r in records] == ["dòng 1", "dòng 2"]


def test_json_lines_parse_errors_name_every_bad_line():
    text = json.dumps(rec("a")) + "\n{broken\n" + json.dumps(rec("b")) + "\nnot json\n"
    with pytest.raises(ImportFileError) as exc:
        read_records(io.BytesIO(text.encode()), "x.jsonl")
    assert [e.record for e in exc.value.errors] == ["dòng 2", "dòng 4"]


def test_json_must_be_an_array():
    with pytest.raises(ImportFileError):
        read_records(io.BytesIO(b'{"ref": "a"}'), "x.json")
    with pytest.raises(ImportFileError) as exc:
        read_records(io.BytesIO(b"[\n{,]"), "x.json")
    assert exc.value.errors[0].key == "dòng 2"


# --- the importer ---------------------------------------------------------------------------------------
def test_import_creates_drafts_with_an_audit_row(org, member):
    report = import_records([rec("a", org), rec("b", org)], actor=member)
    assert report.ok and (report.created, report.updated, report.unchanged) == (2, 0, 0)
    listing = Listing.objects.get(ref="a")
    assert listing.state == ListingState.DRAFT and listing.organization == org
    assert listing.created_by == member and listing.province.code == "79"
    assert listing.ip_rights.get().number == "1-0012345"
    assert AuditLog.objects.filter(action="listing.imported", target_id=str(listing.pk)).count() == 1


def test_nothing_is_imported_when_one_record_is_bad_and_every_error_is_listed(org, member):
    records = [rec("a", org), rec("b", org, trl=12), rec("c", org), rec("d", org, field="0.01", kind="x")]
    report = import_records(records, actor=member)
    assert not report.ok
    assert {(e.record, e.key) for e in report.errors} == {
        ("#2 (b)", "trl"),
        ("#4 (d)", "field"),
        ("#4 (d)", "kind"),
    }
    assert not Listing.objects.exists()


def test_reimport_updates_instead_of_duplicating_and_counts_unchanged(org, member):
    import_records([rec("a", org), rec("b", org)], actor=member)
    changed = rec("a", org, title={"vi": "Tên mới"})
    report = import_records([changed, rec("b", org), rec("c", org)], actor=member)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert report.summary() == "created 1, updated 1, unchanged 1"
    assert Listing.objects.count() == 3
    assert Listing.objects.get(ref="a").title_vi == "Tên mới"
    assert AuditLog.objects.filter(action="listing.imported").count() == 4


def test_a_ref_of_another_organisation_is_refused(org, member, staff):
    other = OrganizationFactory()
    ListingFactory(ref="taken", organization=other)
    report = import_records([rec("taken", org), rec("free", org)], actor=member)
    assert [(e.key, e.record) for e in report.errors] == [("ref", "#1 (taken)")]
    assert not Listing.objects.filter(ref="free").exists()
    # staff cannot move it either
    assert not import_records([rec("taken", org)], actor=staff).ok


def test_members_import_only_for_their_organisation(org, member):
    other = OrganizationFactory()
    report = import_records([rec("a", other)], actor=member)
    assert report.errors[0].key == "organization.ref"
    report = import_records([rec("a", org)], actor=UserFactory())
    assert report.errors[0].key == "organization.ref"


def test_unknown_organisation_is_created_only_by_staff(member, staff):
    record = rec("a", organization={"ref": "new-institute", "name": "Viện Mới"})
    report = import_records([record], actor=member)
    assert "organization.ref" in {e.key for e in report.errors}
    assert not Organization.objects.filter(ref="new-institute").exists()
    report = import_records([record], actor=staff, is_demo=True)
    assert report.ok and report.organizations_created == ["new-institute"]
    created = Organization.objects.get(ref="new-institute")
    assert created.is_demo and "(dữ liệu mẫu)" in created.name
    assert Listing.objects.get(ref="a").is_demo


def test_import_into_a_chosen_organisation(org, member):
    no_org = rec("a")
    del no_org["organization"]
    report = import_records([no_org, rec("b", org)], actor=member, organization=org)
    assert report.ok and Listing.objects.filter(organization=org).count() == 2
    report = import_records([rec("c", OrganizationFactory())], actor=member, organization=org)
    assert report.errors[0].key == "organization.ref"
    with pytest.raises(PermissionDenied):
        import_records([no_org], actor=UserFactory(), organization=org)


def test_publish_needs_staff(org, member, staff):
    with pytest.raises(PermissionDenied):
        import_records([rec("a", org)], actor=member, publish=True)
    with pytest.raises(PermissionDenied):
        import_records([rec("a", org)], actor=get_system_user(), publish=True)
    assert not Listing.objects.exists()
    report = import_records([rec("a", org)], actor=staff, publish=True)
    listing = Listing.objects.get(ref="a")
    assert report.published == 1 and listing.state == ListingState.PUBLISHED
    assert listing.version == 1 and listing.expires_at is not None
    row = AuditLog.objects.get(action="listing.imported_published")
    assert row.actor == staff and row.after["state"] == "published"
    # re-importing a live listing with new content updates it in place and bumps the version
    report = import_records([rec("a", org, trl=7)], actor=staff, publish=True)
    listing.refresh_from_db()
    assert report.updated == 1 and listing.trl == 7 and listing.version == 2
    assert import_records([rec("a", org, trl=7)], actor=staff, publish=True).unchanged == 1


def test_a_published_listing_is_edited_through_a_revision(org, member, staff):
    import_records([rec("a", org)], actor=staff, publish=True)
    report = import_records([rec("a", org, trl=8)], actor=member)
    assert report.revisions == 1
    assert Listing.objects.get(ref="a").trl == 6  # the live listing waits for the moderator
    assert ListingRevision.objects.get().data["trl"] == 8
    # the system account is not an owner: it cannot propose edits of a live listing
    report = import_records([rec("a", org, trl=9)], actor=get_system_user())
    assert report.errors[0].key == "ref"


def test_system_user_cannot_sign_in_and_may_create_organisations():
    user = get_system_user()
    assert not user.is_active and not user.has_usable_password()
    assert get_system_user() == user
    report = import_records([rec("a", organization={"ref": "vien-x", "name": "Viện X"})], actor=user)
    assert report.ok and Listing.objects.get(ref="a").created_by == user


# --- the command ----------------------------------------------------------------------------------------
def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return str(path)


def test_command_imports_and_prints_a_summary(tmp_path, org, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", [rec("a", org), rec("b", org)])
    call_command("import_technologies", path)
    assert "created 2, updated 0, unchanged 0" in capsys.readouterr().out
    call_command("import_technologies", path)
    assert "created 0, updated 0, unchanged 2" in capsys.readouterr().out


def test_command_prints_each_bad_record_and_fails(tmp_path, org, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", [rec("a", org), rec("b", org, trl=0, ip=[{"type": "x"}])])
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_technologies", path)
    err = capsys.readouterr().err
    assert "dòng 2 (b): trl:" in err and "dòng 2 (b): ip[0].type:" in err
    assert not Listing.objects.exists()


def test_command_publish_needs_a_staff_actor(tmp_path, org, staff, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", [rec("a", org)])
    with pytest.raises(CommandError, match="--publish"):
        call_command("import_technologies", path, "--publish")
    with pytest.raises(CommandError, match="--publish"):
        call_command("import_technologies", path, "--publish", "--as", UserFactory().email)
    call_command("import_technologies", path, "--publish", "--as", staff.email)
    assert Listing.objects.get(ref="a").state == ListingState.PUBLISHED


def test_command_into_an_organisation(tmp_path, org, capsys):
    record = rec("a")
    del record["organization"]
    path = write_jsonl(tmp_path / "a.jsonl", [record])
    with pytest.raises(CommandError):
        call_command("import_technologies", path, "--organization", "nope")
    call_command("import_technologies", path, "--organization", "hcmut")
    assert Listing.objects.get(ref="a").organization == org


def test_command_reports_unreadable_files(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ref": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_technologies", str(path))
    assert "dòng 2" in capsys.readouterr().err


# --- the XLSX template ----------------------------------------------------------------------------------
def test_template_has_header_guide_and_a_skipped_example_row():
    wb = load_workbook(io.BytesIO(build_xlsx_template()))
    assert wb.sheetnames[:2] == ["Công nghệ", "Hướng dẫn"]
    header = [c.value for c in wb["Công nghệ"][1]]
    assert header == COLUMN_KEYS
    guide_keys = [row[0].value for row in wb["Hướng dẫn"].iter_rows(min_row=2, max_row=len(COLUMN_KEYS) + 1)]
    assert guide_keys == COLUMN_KEYS
    assert read_records(io.BytesIO(build_xlsx_template()), "t.xlsx") == []


def fill_template(rows):
    wb = load_workbook(io.BytesIO(build_xlsx_template()))
    ws = wb["Công nghệ"]
    for values in rows:
        ws.append([values.get(k) for k in COLUMN_KEYS])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "upload.xlsx"
    return out


OFFER_ROW = {
    "ref": "x-1",
    "kind": "offer",
    "title_vi": "Máy sấy bơm nhiệt",
    "title_en": "Heat-pump dryer",
    "summary_vi": "Sấy nông sản ở nhiệt độ thấp.",
    "field": "2.03",
    "keywords": "sấy; nông sản",
    "trl": 7,
    "ip_type": "utility_solution; software",
    "ip_status": "granted; granted",
    "ip_number": "2-0001234; 123/2024/QTG",
    "ip_filed_on": "2022-01-05",
    "transaction_types": "exclusive_license; technical_service",
    "price_min": 300000000,
    "price_max": "1.200.000.000",
    "price_negotiable": "có",
    "organization_ref": "hcmut",
    "organization_name": "Trường Đại học Bách khoa",
    "inventors": "Nguyễn Văn A; Trần Thị B",
    "province": "TP.HCM",
    "state_funded": "x",
}
REQUEST_ROW = {
    "ref": "x-2",
    "kind": "request",
    "title_vi": "Cần công nghệ phát hiện rò rỉ",
    "problem_vi": "Thất thoát nước cao.",
    "desired_outcome_vi": "Giảm thất thoát dưới 15%.",
    "field": "2.07",
    "transaction_types": "technical_service",
    "organization_ref": "hcmut",
    "organization_name": "Trường Đại học Bách khoa",
    "trl_wanted_min": 5,
    "trl_wanted_max": 8,
    "deadline": "2027-06-30",
    "anonymous": "có",
}


def test_template_round_trip_imports_filled_rows(org, member):
    upload = fill_template([OFFER_ROW, {}, REQUEST_ROW])
    records = read_records(upload, upload.name)
    assert [r.label for r in records] == ["hàng 3", "hàng 5"]
    report = import_records(records, actor=member)
    assert report.ok, report.errors
    offer, request = Listing.objects.get(ref="x-1"), Listing.objects.get(ref="x-2")
    assert offer.keywords == ["sấy", "nông sản"] and offer.price_max == 1_200_000_000
    assert offer.price_negotiable and offer.state_funded and offer.province.code == "79"
    assert offer.inventors == ["Nguyễn Văn A", "Trần Thị B"]
    assert [(ip.type, ip.number) for ip in offer.ip_rights.all()] == [
        ("utility_solution", "2-0001234"),
        ("software", "123/2024/QTG"),
    ]
    assert request.anonymous and str(request.deadline) == "2027-06-30"
    assert (request.trl_wanted_min, request.trl_wanted_max) == (5, 8)
    # the same file again changes nothing
    again = import_records(read_records(fill_template([OFFER_ROW, REQUEST_ROW]), "u.xlsx"), actor=member)
    assert again.unchanged == 2


def test_template_rows_with_errors_are_named_by_row_and_column(org, member):
    bad = {**OFFER_ROW, "trl": "cao", "price_negotiable": "maybe", "field": 2.1}
    records = read_records(fill_template([bad]), "u.xlsx")
    assert records[0]["field"] == "2.10"
    report = import_records(records, actor=member)
    assert {(e.record, e.key) for e in report.errors} == {
        ("hàng 3 (x-1)", "trl"),
        ("hàng 3 (x-1)", "price.negotiable"),
    }


def test_a_broken_xlsx_is_reported():
    with pytest.raises(ImportFileError):
        read_records(io.BytesIO(b"PK not really a zip"), "x.xlsx")
