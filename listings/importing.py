"""Bulk import of interchange records (docs/import.md): readers for JSON, JSON Lines and the XLSX
template, the all-or-nothing importer and the two services it writes through.

    records = read_records(uploaded_file, uploaded_file.name)      # ImportFileError on a broken file
    report = import_records(records, actor=user, organization=org)   # nothing written if any is bad
    report.ok, report.errors, report.summary()

Everything is checked before anything is written: each record against the interchange validator, refs
repeated in the file, refs that belong to another organisation, organisations the actor may not import
for, listings whose state does not allow an update. Then the whole batch is written in one transaction,
so a failure leaves the database as it was.

Who may import what:
- anyone importing for an organisation must be an active member of it, exchange staff, or the system
  account (``get_system_user()``: the management command run by someone with shell access);
- an unknown organisation ref creates the organisation only for staff and the system account;
- ``publish=True`` (straight to the public site, no moderation) needs exchange staff.

What a re-import does with an existing ref (same origin, same organisation):
- identical content → ``unchanged`` (nothing written);
- draft / unpublished → updated in place;
- published → ``publish=True``: updated in place, version bumped; else a pending revision when the
  actor is an owner of the listing (the normal edit path of a live listing), otherwise refused;
- submitted / awaiting moderation / expired → only with ``publish=True`` (updated and published);
- closed / archived → refused.
Media URLs in records are validated but not fetched; files are uploaded through the portal.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization, OrganizationKind
from exchange.core.models import Province
from exchange.core.services import audit_record

from . import permissions as lperms
from .interchange import (
    SCHEMA,
    RecordError,
    record_label,
    record_to_listing_data,
    validate_records,
)
from .lifecycle import ListingState
from .models import IPRight, IPStatus, IPType, Listing, ListingKind, ScienceField, TransactionType
from .snapshots import apply_snapshot, diff_snapshots, listing_snapshot, normalize, save_ip_rights

logger = logging.getLogger(__name__)

S = ListingState
SYSTEM_USER_EMAIL = "system@techex.local"
DEMO_MARK = "(dữ liệu mẫu)"


# --- the system account -----------------------------------------------------------------------------
def get_system_user():
    """The service account that owns imports run from the command line; it can never sign in."""
    User = get_user_model()
    user = User.objects.filter(email=SYSTEM_USER_EMAIL).first()
    if user is None:
        user = User(email=SYSTEM_USER_EMAIL, full_name="Hệ thống nhập dữ liệu", is_active=False)
        user.set_unusable_password()
        user.save()
    return user


def is_system_user(user) -> bool:
    return bool(user is not None and getattr(user, "email", None) == SYSTEM_USER_EMAIL)


def _trusted(actor) -> bool:
    """Staff, or the system account (only reachable from the shell)."""
    return perms.is_staff(actor) or is_system_user(actor)


# --- reading files ----------------------------------------------------------------------------------
class ImportFileError(Exception):
    """The file cannot be read as records (bad JSON on some lines, not an XLSX...)."""

    def __init__(self, errors: list[RecordError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


class LabeledRecord(dict):
    """A record with where it came from (``dòng 12``, ``hàng 5``) for error messages."""

    label: str = ""


def _labeled(data: Any, label: str) -> Any:
    if isinstance(data, dict):
        data = LabeledRecord(data)
        data.label = label
    return data


def _read_bytes(path_or_file) -> tuple[bytes, str]:
    if isinstance(path_or_file, str | Path):
        path = Path(path_or_file)
        return path.read_bytes(), path.name
    if hasattr(path_or_file, "seek") and getattr(path_or_file, "seekable", lambda: True)():
        path_or_file.seek(0)
    data = path_or_file.read()
    return (data.encode() if isinstance(data, str) else data), getattr(path_or_file, "name", "") or ""


def _format(filename: str, data: bytes) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if data[:2] == b"PK":
        return "xlsx"
    return "json" if data.lstrip()[:1] in (b"[",) else "jsonl"


def read_records(path_or_file, filename: str | None = None) -> list[dict]:
    """Records from a JSON array, JSON Lines or the XLSX template, chosen by the file name's suffix.

    Raises ``ImportFileError`` listing every unreadable line (with its number) or the broken file.
    """
    data, name = _read_bytes(path_or_file)
    filename = filename or name
    fmt = _format(filename, data)
    if fmt == "xlsx":
        return read_xlsx(data, filename=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            [RecordError(filename, "", f"tệp không phải UTF-8 (file is not UTF-8): {exc}")]
        ) from exc
    if fmt == "json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                [RecordError(filename, f"dòng {exc.lineno}", f"JSON không hợp lệ (invalid JSON): {exc.msg}")]
            ) from exc
        if not isinstance(records, list):
            raise ImportFileError(
                [RecordError(filename, "", "tệp JSON phải là một mảng bản ghi (must be an array of records)")]
            )
        return [_labeled(r, f"#{i}") for i, r in enumerate(records, start=1)]
    records, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_labeled(json.loads(line), f"dòng {number}"))
        except json.JSONDecodeError as exc:
            errors.append(
                RecordError(
                    f"dòng {number}", "", f"JSON không hợp lệ (invalid JSON on line {number}): {exc.msg}"
                )
            )
    if errors:
        raise ImportFileError(errors)
    return records


# --- the XLSX template ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    required: str
    vi: str
    en: str
    example: Any = ""


_TT = ", ".join(TransactionType.values)
COLUMNS: list[Column] = [
    Column("ref", "x", "Mã tham chiếu do đơn vị đặt, duy nhất; nhập lại cùng mã sẽ cập nhật tin",
           "Your reference, unique; re-importing the same ref updates the listing", "hcmut-2026-001"),
    Column("kind", "x", "offer (chào bán công nghệ) hoặc request (nhu cầu công nghệ)",
           "offer (technology for transfer) or request (a business's need)", "offer"),
    Column("title_vi", "x*", "Tên tiếng Việt (*cần ít nhất một trong title_vi, title_en)",
           "Title in Vietnamese (*at least one of title_vi/title_en)",
           "Công nghệ xử lý nước thải dệt nhuộm bằng màng sinh học"),
    Column("title_en", "x*", "Tên tiếng Anh", "Title in English",
           "Biofilm membrane treatment of textile dyeing wastewater"),
    Column("summary_vi", "", "Tóm tắt (tiếng Việt)", "Summary (Vietnamese)",
           "Hệ màng sinh học xử lý nước thải dệt nhuộm đạt QCVN 13-MT:2015/BTNMT cột A."),
    Column("summary_en", "", "Tóm tắt (tiếng Anh)", "Summary (English)",
           "Biofilm membrane system meeting QCVN 13-MT:2015 column A."),
    Column("description_vi", "", "Mô tả chi tiết (tiếng Việt)", "Description (Vietnamese)"),
    Column("description_en", "", "Mô tả chi tiết (tiếng Anh)", "Description (English)"),
    Column("advantages_vi", "", "Ưu điểm (tiếng Việt)", "Advantages (Vietnamese)",
           "Giảm 30% chi phí vận hành so với bùn hoạt tính truyền thống."),
    Column("advantages_en", "", "Ưu điểm (tiếng Anh)", "Advantages (English)"),
    Column("applications_vi", "", "Ứng dụng (tiếng Việt)", "Applications (Vietnamese)",
           "Nhà máy dệt nhuộm, khu công nghiệp."),
    Column("applications_en", "", "Ứng dụng (tiếng Anh)", "Applications (English)"),
    Column("problem_vi", "", "Nhu cầu: vấn đề cần giải quyết (tiếng Việt)", "Requests: the problem (Vietnamese)"),  # noqa: E501
    Column("problem_en", "", "Nhu cầu: vấn đề cần giải quyết (tiếng Anh)", "Requests: the problem (English)"),
    Column("desired_outcome_vi", "", "Nhu cầu: kết quả mong muốn (tiếng Việt)",
           "Requests: desired outcome (Vietnamese)"),
    Column("desired_outcome_en", "", "Nhu cầu: kết quả mong muốn (tiếng Anh)",
           "Requests: desired outcome (English)"),
    Column("field", "x", "Mã lĩnh vực KH&CN, ví dụ 2.07 (xem trang Lĩnh vực); nhập dạng văn bản",
           "S&T field code, e.g. 2.07 (see sheet Lĩnh vực); enter as text", "2.07"),
    Column("keywords", "", "Từ khóa, phân cách bằng dấu ;", "Keywords separated by ;",
           "xử lý nước thải; dệt nhuộm; màng sinh học"),
    Column("trl", "offer", "Mức sẵn sàng công nghệ 1–9 (bắt buộc với offer)", "TRL 1–9 (required for offers)", 6),  # noqa: E501
    Column("ip_type", "", "Loại quyền SHTT: " + ", ".join(IPType.values) + "; nhiều quyền: phân cách bằng ;",
           "IP type; several rights: separate with ; in every ip_ column", "patent"),
    Column("ip_status", "", "Tình trạng: " + ", ".join(IPStatus.values), "IP status", "granted"),
    Column("ip_number", "", "Số đơn / số bằng", "Application or grant number", "1-0012345"),
    Column("ip_jurisdiction", "", "Nơi bảo hộ (mã quốc gia, mặc định VN)", "Jurisdiction (default VN)", "VN"),
    Column("ip_filed_on", "", "Ngày nộp đơn YYYY-MM-DD", "Filing date YYYY-MM-DD", "2021-03-02"),
    Column("ip_granted_on", "", "Ngày cấp YYYY-MM-DD", "Grant date YYYY-MM-DD", "2023-08-15"),
    Column("transaction_types", "x", f"Hình thức giao dịch, phân cách bằng ; trong: {_TT}",
           "Transaction types separated by ;", "exclusive_license; non_exclusive_license"),
    Column("price_min", "", "Giá tối thiểu (VND, số nguyên); với nhu cầu là ngân sách",
           "Minimum price in VND (integer); the budget for requests", 500000000),
    Column("price_max", "", "Giá tối đa (VND, số nguyên)", "Maximum price in VND (integer)", 1200000000),
    Column("price_negotiable", "", "Giá thỏa thuận: có / không", "Negotiable: yes / no", "có"),
    Column("organization_ref", "x", "Mã tổ chức trên sàn (bỏ trống khi nhập cho tổ chức đã chọn)",
           "Organisation ref (blank when importing into a chosen organisation)", "hcmut"),
    Column("organization_name", "x", "Tên tổ chức", "Organisation name", "Trường Đại học Bách khoa – ĐHQG-HCM"),  # noqa: E501
    Column("inventors", "", "Tác giả, phân cách bằng ;", "Inventors separated by ;", "Nguyễn Văn A; Trần Thị B"),  # noqa: E501
    Column("province", "", "Tỉnh/thành phố: tên hoặc mã (kể cả tên cũ trước sáp nhập)",
           "Province name or code (former names accepted)", "Thành phố Hồ Chí Minh"),
    Column("state_funded", "", "Sử dụng ngân sách nhà nước: có / không", "State funded: yes / no", "có"),
    Column("trl_wanted_min", "", "Nhu cầu: TRL mong muốn từ (1–9)", "Requests: TRL wanted from (1–9)"),
    Column("trl_wanted_max", "", "Nhu cầu: TRL mong muốn đến (1–9)", "Requests: TRL wanted to (1–9)"),
    Column("deadline", "", "Nhu cầu: hạn chót YYYY-MM-DD", "Requests: deadline YYYY-MM-DD"),
    Column("anonymous", "", "Nhu cầu: ẩn tên tổ chức: có / không", "Requests: hide the organisation: yes / no"),  # noqa: E501
]  # fmt: skip
COLUMN_KEYS = [c.key for c in COLUMNS]
INT_COLUMNS = {"trl", "price_min", "price_max", "trl_wanted_min", "trl_wanted_max"}
BOOL_COLUMNS = {"price_negotiable", "state_funded", "anonymous"}
DATE_COLUMNS = {"deadline", "ip_filed_on", "ip_granted_on"}
LIST_COLUMNS = {"keywords", "transaction_types", "inventors"}
IP_COLUMNS = ["ip_type", "ip_status", "ip_number", "ip_jurisdiction", "ip_filed_on", "ip_granted_on"]
TEXT_KEYS = ("title", "summary", "description", "advantages", "applications", "problem", "desired_outcome")
DATA_SHEET = "Công nghệ"
GUIDE_SHEET = "Hướng dẫn"
FIELDS_SHEET = "Lĩnh vực"
_TRUE = {"x", "có", "co", "yes", "y", "true", "1", "đúng", "dung"}
_FALSE = {"không", "khong", "no", "n", "false", "0", "sai"}


def build_xlsx_template() -> bytes:
    """The import template: sheet "Công nghệ" (header + one example row whose ref starts with ``#``,
    so it is skipped), sheet "Hướng dẫn" describing each column, sheet "Lĩnh vực" with the field codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(COLUMN_KEYS)
    example = {c.key: c.example for c in COLUMNS}
    example["ref"] = "#vi-du-" + str(example["ref"])
    ws.append([example[k] for k in COLUMN_KEYS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for i, column in enumerate(COLUMNS, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = max(14, min(40, len(column.key) + 4))
        if column.key in ("field", "ip_number", "ref", "organization_ref"):
            # text format for the whole column, so Excel keeps "2.10" and "1-0012345" as typed
            ws.column_dimensions[letter].number_format = "@"
            ws.cell(row=2, column=i).number_format = "@"
    ws.freeze_panes = "B2"

    guide = wb.create_sheet(GUIDE_SHEET)
    guide.append(["Cột (column)", "Bắt buộc (required)", "Mô tả", "Description", "Ví dụ (example)"])
    for cell in guide[1]:
        cell.font, cell.fill = bold, fill
    for column in COLUMNS:
        guide.append([column.key, column.required, column.vi, column.en, column.example])
    guide.append([])
    notes = [
        "Mỗi hàng một tin; hàng có ref bắt đầu bằng # bị bỏ qua (hàng ví dụ). "
        "One row per listing; rows whose ref starts with # are skipped (the example row).",
        "Nếu có bất kỳ hàng lỗi nào, không hàng nào được nhập; danh sách lỗi ghi rõ hàng và cột. "
        "If any row is invalid nothing is imported; the errors name the row and column.",
        "Nhập lại cùng ref sẽ cập nhật tin, không tạo trùng. Re-importing a ref updates it.",
        "Cột x* : cần ít nhất một trong title_vi / title_en.",
    ]
    for note in notes:
        guide.append([note])
    for letter, width in zip("ABCDE", (22, 14, 60, 60, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    fields = wb.create_sheet(FIELDS_SHEET)
    fields.append(["Mã (code)", "Lĩnh vực", "Field"])
    for cell in fields[1]:
        cell.font = bold
    for code, name, name_en in ScienceField.objects.order_by("code").values_list("code", "name", "name_en"):
        fields.append([code, name, name_en])
    fields.column_dimensions["B"].width = 55
    fields.column_dimensions["C"].width = 55

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_GROUPED_INT = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


def _cell_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # reported as a wrong type by the validator
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _cell_text(value)
    if re.fullmatch(r"\d+", text):
        return int(text)
    if _GROUPED_INT.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    return text or None


def _cell_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = _cell_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text  # reported as a wrong type by the validator


def _cell_field(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"  # 2.1 typed into a number cell meant "2.10"
    return _cell_text(value)


def _split(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", _cell_text(value)) if part.strip()]


def row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """One template row (column key → cell value) as an interchange record (validated afterwards)."""
    get = row.get
    record: dict[str, Any] = {"schema": SCHEMA, "ref": _cell_text(get("ref")) or None}
    kind = _cell_text(get("kind")).lower()
    record["kind"] = kind or None
    for key in TEXT_KEYS:
        texts = {lang: _cell_text(get(f"{key}_{lang}")) for lang in ("vi", "en")}
        if any(texts.values()) or key == "title":
            record[key] = texts
    record["field"] = _cell_field(get("field")) or None
    if _split(get("keywords")):
        record["keywords"] = _split(get("keywords"))
    for key in ("trl",):
        if get(key) not in (None, ""):
            record[key] = _cell_int(get(key))
    ip_lists = {col: _split(get(col)) if col != "ip_number" else _split(get(col)) for col in IP_COLUMNS}
    ip_count = max((len(v) for v in ip_lists.values()), default=0)
    if ip_count:
        record["ip"] = []
        for i in range(ip_count):
            item = {}
            for col in IP_COLUMNS:
                values = ip_lists[col]
                item[col[3:]] = values[i] if i < len(values) else None
            item["type"] = item["type"] or None
            item["status"] = item["status"] or IPStatus.NONE
            record["ip"].append(item)
    record["transaction_types"] = _split(get("transaction_types")) or None
    price = {k: _cell_int(get(f"price_{k}")) for k in ("min", "max") if get(f"price_{k}") not in (None, "")}
    negotiable = _cell_bool(get("price_negotiable"))
    if price or negotiable is not None:
        record["price"] = {"currency": "VND", "min": None, "max": None, **price}
        record["price"]["negotiable"] = bool(negotiable) if isinstance(negotiable, bool) else negotiable
    org_ref, org_name = _cell_text(get("organization_ref")), _cell_text(get("organization_name"))
    if org_ref or org_name:
        record["organization"] = {"ref": org_ref or None, "name": org_name or None}
    if _split(get("inventors")):
        record["inventors"] = [{"name": name} for name in _split(get("inventors"))]
    if _cell_text(get("province")):
        record["province"] = _cell_text(get("province"))
    for key in ("state_funded", "anonymous"):
        value = _cell_bool(get(key))
        if value is not None:
            record[key] = value
    wanted = {k: _cell_int(get(f"trl_wanted_{k}")) for k in ("min", "max")}
    if any(v is not None for v in wanted.values()):
        record["trl_wanted"] = wanted
    if _cell_text(get("deadline")):
        record["deadline"] = _cell_text(get("deadline"))
    return {k: v for k, v in record.items() if v is not None or k in ("ref", "kind", "field")}


def read_xlsx(data: bytes, *, filename: str = "") -> list[dict]:
    """Rows of the template's first sheet (or "Công nghệ") as records labelled ``hàng N``."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ImportFileError(
            [
                RecordError(
                    filename or "xlsx", "", f"không đọc được tệp XLSX (cannot read the XLSX file): {exc}"
                )
            ]
        ) from exc
    try:
        ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ImportFileError([RecordError(filename or "xlsx", "", "tệp trống (the sheet is empty)")])
        keys = [_cell_text(h).lower() for h in header]
        if "ref" not in keys:
            raise ImportFileError(
                [
                    RecordError(
                        filename or "xlsx", "hàng 1", "thiếu cột ref ở hàng tiêu đề (no 'ref' header column)"
                    )
                ]
            )
        records = []
        for number, values in enumerate(rows, start=2):
            row = {k: v for k, v in zip(keys, values, strict=False) if k in COLUMN_KEYS}
            if all(_cell_text(v) == "" for v in row.values()):
                continue
            if _cell_text(row.get("ref")).startswith("#"):
                continue
            records.append(_labeled(row_to_record(row), f"hàng {number}"))
        return records
    finally:
        wb.close()


# --- the importer -----------------------------------------------------------------------------------
@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    revisions: int = 0
    published: int = 0
    errors: list[RecordError] = field(default_factory=list)
    listing_ids: list[int] = field(default_factory=list)
    organizations_created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.revisions

    def summary(self) -> str:
        text = f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"
        if self.revisions:
            text += f", revisions pending {self.revisions}"
        return text


class ImportFailed(Exception):
    """The database failed during the import (a lost connection, a lock timeout, a constraint the
    validator could not foresee). The import's one transaction was rolled back: nothing was written, and
    the same file can be imported again."""


class _Abort(Exception):
    def __init__(self, errors: list[RecordError]):
        self.errors = errors


@dataclass
class _Plan:
    label: str
    cleaned: dict
    data: dict
    organization: Organization | None
    org_new: dict | None
    listing: Listing | None
    action: str  # create | update | revision | unchanged | publish


def _err(label: str, key: str, message: str) -> RecordError:
    return RecordError(label, key, message)


def import_records(
    records: Sequence[Any],
    *,
    actor,
    organization: Organization | None = None,
    publish: bool = False,
    is_demo: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Validate every record, then import all of them in one transaction, or none.

    Returns an ``ImportReport``; ``report.errors`` lists every bad record and key (nothing written).
    Raises ``PermissionDenied`` when ``publish`` is asked by a non-staff actor or the actor may not
    import for ``organization``. ``progress(1)`` is called after each record is written (e.g.
    ``tqdm.update``).
    """
    if publish and not perms.is_staff(actor):
        raise PermissionDenied(
            "Chỉ nhân viên sàn mới nhập và đăng ngay được (publishing needs exchange staff)."
        )
    if organization is not None and not (_trusted(actor) or perms.is_member(actor, organization)):
        raise PermissionDenied("Bạn không thuộc tổ chức này (you are not a member of this organisation).")
    report = ImportReport()
    records = list(records)
    labels = [record_label(r, i) for i, r in enumerate(records)]
    cleaned_all, errors = validate_records(records, labels=labels, require_organization=organization is None)
    if errors:
        report.errors = errors
        return report
    try:
        with transaction.atomic():
            plans = _plan(cleaned_all, labels, actor=actor, organization=organization, publish=publish)
            created_orgs = _create_organizations(plans, actor=actor, is_demo=is_demo)
            report.organizations_created = created_orgs
            cache = _Cache()
            for plan in plans:
                _write(plan, actor=actor, publish=publish, is_demo=is_demo, report=report, cache=cache)
                if progress is not None:
                    progress(1)
    except _Abort as abort:
        return ImportReport(errors=abort.errors)
    except DatabaseError as exc:
        logger.exception("Import of %s records by %s rolled back on a database error", len(records), actor)
        raise ImportFailed(
            "Lỗi cơ sở dữ liệu khi nhập; không có tin nào được nhập, hãy thử lại "
            "(a database error stopped the import; nothing was imported, try again)."
        ) from exc
    return report


def _plan(cleaned_all, labels, *, actor, organization, publish) -> list[_Plan]:
    """Decide what happens to each record, or raise ``_Abort`` with every reason it cannot."""
    origin = settings.EXCHANGE_ORIGIN
    refs = [c["ref"] for c in cleaned_all]
    existing: dict[str, Listing] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for listing in (
            Listing.objects.select_for_update(of=("self",))
            .select_related("organization", "field", "province")
            .prefetch_related(Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")))
            .filter(origin=origin, ref__in=chunk)
        ):
            existing[listing.ref] = listing
    org_refs = {c["organization"]["ref"] for c in cleaned_all if c["organization"]}
    orgs = {o.ref: o for o in Organization.objects.filter(ref__in=org_refs)} if org_refs else {}
    new_orgs: dict[str, dict] = {}
    errors: list[RecordError] = []
    plans: list[_Plan] = []
    # every record passed validation, so cleaned_all and labels are in the same order
    for cleaned, label in zip(cleaned_all, labels, strict=True):
        org_in_record = cleaned["organization"]
        org, org_new = None, None
        if organization is not None:
            if org_in_record and org_in_record["ref"] != organization.ref:
                errors.append(
                    _err(
                        label,
                        "organization.ref",
                        f"bản ghi thuộc tổ chức “{org_in_record['ref']}”, không phải “{organization.ref}” "
                        "(the record belongs to another organisation than the one imported into)",
                    )
                )
                continue
            org = organization
        elif not org_in_record:
            errors.append(_err(label, "organization", "thiếu khóa bắt buộc (missing required key)"))
            continue
        elif org_in_record["ref"] in orgs:
            org = orgs[org_in_record["ref"]]
            if not (_trusted(actor) or perms.is_member(actor, org)):
                errors.append(
                    _err(
                        label,
                        "organization.ref",
                        f"bạn không thuộc tổ chức “{org.ref}” (you may not import for this organisation)",
                    )
                )
                continue
        elif _trusted(actor):
            org_new = new_orgs.setdefault(org_in_record["ref"], {**org_in_record, "kind": cleaned["kind"]})
        else:
            errors.append(
                _err(
                    label,
                    "organization.ref",
                    f"tổ chức “{org_in_record['ref']}” chưa có trên sàn; chỉ nhân viên sàn mới tạo được "
                    "(unknown organisation; only exchange staff may create it on import)",
                )
            )
            continue
        data = normalize(record_to_listing_data(cleaned))
        listing = existing.get(cleaned["ref"])
        if listing is None:
            plans.append(_Plan(label, cleaned, data, org, org_new, None, "create"))
            continue
        if org is None or listing.organization_id != org.pk:
            errors.append(
                _err(
                    label,
                    "ref",
                    f"mã “{cleaned['ref']}” đã thuộc về tổ chức khác trên sàn "
                    "(this ref belongs to another organisation)",
                )
            )
            continue
        if listing.kind != cleaned["kind"]:
            errors.append(
                _err(label, "kind", "không đổi được loại tin đã có (the kind of a listing cannot change)")
            )
            continue
        action, message = _action_for(listing, data, actor=actor, publish=publish)
        if message:
            errors.append(_err(label, "ref", message))
            continue
        plans.append(_Plan(label, cleaned, data, org, None, listing, action))
    if errors:
        raise _Abort(errors)
    return plans


def _action_for(listing: Listing, data: dict, *, actor, publish: bool) -> tuple[str, str]:
    same = not diff_snapshots(listing_snapshot(listing), data)
    state = listing.state
    if same and (not publish or state == S.PUBLISHED):
        return "unchanged", ""
    if state in (S.CLOSED, S.ARCHIVED):
        return "", "tin đã đóng hoặc lưu trữ, không nhập đè được (the listing is closed or archived)"
    if publish:
        return ("update" if not same else "publish"), ""
    if state in (S.DRAFT, S.UNPUBLISHED):
        return "update", ""
    if state == S.PUBLISHED:
        if lperms.is_owner(actor, listing):
            return "revision", ""
        return "", (
            "tin đang đăng: sửa qua bản sửa chờ duyệt trên cổng, hoặc nhân viên sàn nhập với --publish "
            "(a published listing is edited through a revision, or re-imported by staff with publish)"
        )
    return "", (
        f"tin đang ở trạng thái “{ListingState(state).label}”, không cập nhật được lúc này "
        "(the listing's state does not allow an update now)"
    )


def _create_organizations(plans: list[_Plan], *, actor, is_demo: bool) -> list[str]:
    created: dict[str, Organization] = {}
    kinds = {k.code: k for k in OrganizationKind.objects.all()}
    for plan in plans:
        if plan.org_new is None:
            continue
        ref = plan.org_new["ref"]
        if ref not in created:
            name = plan.org_new["name"]
            if is_demo and DEMO_MARK not in name:
                name = f"{name} {DEMO_MARK}"
            kind = kinds.get(
                "enterprise" if plan.org_new["kind"] == ListingKind.REQUEST else "research_institute"
            )
            org = Organization.objects.create(ref=ref, name=name[:255], kind=kind, is_demo=is_demo)
            audit_record(actor=actor, action="organization.imported", target=org, data={"ref": ref})
            created[ref] = org
        plan.organization = created[ref]
    return list(created)


class _Cache:
    """Field and province rows for one batch."""

    def __init__(self) -> None:
        self.fields: dict[str, ScienceField] | None = None
        self.provinces: dict[str, Province] | None = None


def _apply(listing: Listing, data: dict, cache: _Cache) -> list[dict] | None:
    """``apply_snapshot`` with the field and province taken from a per-batch cache (no query each)."""
    if cache.fields is None:
        cache.fields = {f.code: f for f in ScienceField.objects.all()}
        cache.provinces = {p.code: p for p in Province.objects.all()}
    rest = {k: v for k, v in data.items() if k not in ("field", "province")}
    ip = apply_snapshot(listing, rest)
    listing.field = cache.fields[data["field"]]
    listing.province = cache.provinces.get(data["province"]) if data["province"] else None
    try:
        listing.clean_fields(exclude=["field", "organization", "province", "created_by", "tto_approved_by"])
        listing.clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
    return ip


def _write(plan: _Plan, *, actor, publish: bool, is_demo: bool, report: ImportReport, cache: _Cache) -> None:
    try:
        if plan.action == "unchanged":
            report.unchanged += 1
            if is_demo and not plan.listing.is_demo:
                Listing.objects.filter(pk=plan.listing.pk).update(is_demo=True)
            report.listing_ids.append(plan.listing.pk)
            return
        if plan.action == "revision":
            from .services import revision_submit

            revision_submit(actor=actor, listing=plan.listing, data=plan.data)
            report.revisions += 1
            report.listing_ids.append(plan.listing.pk)
            return
        listing, created = listing_import_upsert(
            actor=actor,
            organization=plan.organization,
            kind=plan.cleaned["kind"],
            ref=plan.cleaned["ref"],
            data=plan.data,
            listing=plan.listing,
            is_demo=is_demo,
            _cache=cache,
        )
        if publish and listing.state != S.PUBLISHED:
            listing_import_publish(actor=actor, listing=listing)
            report.published += 1
        if created:
            report.created += 1
        else:
            report.updated += 1
        report.listing_ids.append(listing.pk)
    except (ValidationError, PermissionDenied) as exc:
        messages = getattr(exc, "message_dict", None)
        if messages:
            errors = [_err(plan.label, key, "; ".join(map(str, msgs))) for key, msgs in messages.items()]
        else:
            errors = [_err(plan.label, "", "; ".join(map(str, getattr(exc, "messages", [str(exc)]))))]
        raise _Abort(errors) from exc


# --- the two services the importer writes through -------------------------------------------------------
@transaction.atomic
def listing_import_upsert(
    *,
    actor,
    organization: Organization,
    kind: str,
    ref: str,
    data: dict[str, Any],
    listing: Listing | None = None,
    is_demo: bool = False,
    _cache: _Cache | None = None,
) -> tuple[Listing, bool]:
    """Create a draft from an imported record, or update an existing listing's content in place.

    Permission and state checks are ``import_records``'s (it plans the whole batch first); a live
    listing updated here gets its version bumped so the search index and the regional feed follow.
    Returns ``(listing, created)`` and writes one ``listing.imported`` audit row.
    """
    from .services import _bump_version, _lock

    if not (_trusted(actor) or perms.is_member(actor, organization)):
        raise PermissionDenied("Bạn không thuộc tổ chức này (you are not a member of this organisation).")
    cache = _cache or _Cache()
    if listing is None:
        listing = Listing(kind=kind, organization=organization, created_by=actor, ref=ref, state=S.DRAFT)
        ip = _apply(listing, data, cache)
        listing.is_demo = is_demo
        listing.save()
        save_ip_rights(listing, ip)
        audit_record(
            actor=actor,
            action="listing.imported",
            target=listing,
            after={"state": listing.state, "version": listing.version},
            data={"ref": ref, "kind": kind, "created": True},
        )
        return listing, True
    listing = _lock(listing)
    before = listing_snapshot(listing)
    before_version = listing.version
    ip = _apply(listing, data, cache)
    if is_demo:
        listing.is_demo = True
    _bump_version(listing, listing.state)
    listing.save()
    save_ip_rights(listing, ip)
    audit_record(
        actor=actor,
        action="listing.imported",
        target=listing,
        before={"state": listing.state, "version": before_version},
        after={"state": listing.state, "version": listing.version},
        data={"ref": ref, "created": False, "changed": [c.name for c in diff_snapshots(before, data)]},
    )
    return listing, False


@transaction.atomic
def listing_import_publish(*, actor, listing: Listing) -> Listing:
    """Staff put an imported listing straight on the public site (their import is the moderation)."""
    from .services import _bump_version, _lock, _validate_complete, _validity_end

    if not perms.is_staff(actor):
        raise PermissionDenied("Chỉ nhân viên sàn mới đăng ngay được (publishing needs exchange staff).")
    listing = _lock(listing)
    if listing.state in (S.PUBLISHED, S.CLOSED, S.ARCHIVED):
        raise ValidationError(
            f"Không đăng được tin ở trạng thái “{ListingState(listing.state).label}” "
            "(cannot publish from this state)."
        )
    _validate_complete(listing, "publish")
    before_state, before_version = listing.state, listing.version
    now = timezone.now()
    listing.state = S.PUBLISHED
    listing.published_at = listing.published_at or now
    listing.expires_at = _validity_end(now)
    listing.sent_back_reason = ""
    _bump_version(listing, before_state)
    listing.save()
    audit_record(
        actor=actor,
        action="listing.imported_published",
        target=listing,
        before={"state": before_state, "version": before_version},
        after={"state": listing.state, "version": listing.version},
        data={"expires_at": listing.expires_at.isoformat()},
    )
    return listing


def import_file(path_or_file, filename: str | None = None, **kwargs) -> ImportReport:
    """``read_records`` + ``import_records``; a broken file comes back as a report with errors."""
    try:
        records = read_records(path_or_file, filename)
    except ImportFileError as exc:
        return ImportReport(errors=exc.errors)
    return import_records(records, **kwargs)


__all__: Iterable[str] = [
    "ImportFileError",
    "ImportReport",
    "build_xlsx_template",
    "get_system_user",
    "import_file",
    "import_records",
    "listing_import_publish",
    "listing_import_upsert",
    "read_records",
    "row_to_record",
]
