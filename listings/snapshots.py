"""Snapshots of a listing's editable content (JSON) — what a revision proposes — and their diff.

A snapshot holds only JSON types: foreign keys by code (``field`` "2.07", ``province`` "79"), dates as
ISO strings, IP rights as a list of dicts. ``apply_snapshot`` is the one way content enters a listing,
for direct edits and approved revisions alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import IPRight, IPStatus, IPType, Listing, ScienceField

TEXT_FIELDS = [
    f"{name}_{lang}"
    for name in (
        "title",
        "summary",
        "description",
        "advantages",
        "applications",
        "problem",
        "desired_outcome",
    )
    for lang in ("vi", "en")
]
SCALAR_FIELDS = [
    *TEXT_FIELDS,
    "keywords",
    "trl",
    "transaction_types",
    "price_min",
    "price_max",
    "price_negotiable",
    "inventors",
    "state_funded",
    "trl_wanted_min",
    "trl_wanted_max",
    "anonymous",
]
EDITABLE_FIELDS = [*SCALAR_FIELDS, "field", "province", "deadline", "ip"]
IP_KEYS = ["type", "status", "number", "jurisdiction", "filed_on", "granted_on"]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _date(value, key: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(
            {key: _("Ngày không hợp lệ: %(value)s (định dạng YYYY-MM-DD).") % {"value": value}}
        ) from exc


def ip_snapshot(ip: IPRight) -> dict[str, Any]:
    return {
        "type": ip.type,
        "status": ip.status,
        "number": ip.number,
        "jurisdiction": ip.jurisdiction,
        "filed_on": _iso(ip.filed_on),
        "granted_on": _iso(ip.granted_on),
    }


def listing_snapshot(listing: Listing) -> dict[str, Any]:
    """The editable content of a listing as JSON."""
    data: dict[str, Any] = {name: getattr(listing, name) for name in SCALAR_FIELDS}
    data["keywords"] = list(data["keywords"] or [])
    data["transaction_types"] = list(data["transaction_types"] or [])
    data["inventors"] = list(data["inventors"] or [])
    data["field"] = listing.field.code if listing.field_id else None
    data["province"] = listing.province.code if listing.province_id else None
    data["deadline"] = _iso(listing.deadline)
    data["ip"] = [ip_snapshot(ip) for ip in listing.ip_rights.all()] if listing.pk else []
    return data


def normalize_ip(items) -> list[dict[str, Any]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError({"ip": _("Quyền SHTT phải là một danh sách.")})
    result = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise ValidationError({"ip": _("Quyền SHTT thứ %(n)s không hợp lệ.") % {"n": i}})
        if item.get("type") not in IPType.values:
            raise ValidationError({"ip": _("Quyền SHTT thứ %(n)s: loại không hợp lệ.") % {"n": i}})
        status = item.get("status") or IPStatus.NONE
        if status not in IPStatus.values:
            raise ValidationError({"ip": _("Quyền SHTT thứ %(n)s: tình trạng không hợp lệ.") % {"n": i}})
        result.append(
            {
                "type": item["type"],
                "status": status,
                "number": str(item.get("number") or "")[:100],
                "jurisdiction": str(item.get("jurisdiction") or "VN")[:10],
                "filed_on": _iso(_date(item.get("filed_on"), "ip")),
                "granted_on": _iso(_date(item.get("granted_on"), "ip")),
            }
        )
    return result


def normalize(data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn caller input (model instances, dates) into snapshot form; unknown keys are refused."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Trường không sửa được: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "field":
            out[key] = value.code if isinstance(value, ScienceField) else value
        elif key == "province":
            out[key] = getattr(value, "code", value) or None
        elif key == "deadline":
            out[key] = _iso(_date(value, "deadline"))
        elif key == "ip":
            out[key] = normalize_ip(value)
        elif key in TEXT_FIELDS:
            out[key] = (value or "").strip()
        else:
            out[key] = value
    return out


def apply_snapshot(listing: Listing, data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Set the listing's attributes from (normalised) snapshot data, without saving.

    Returns the IP rights to store (or None when ``ip`` is absent); ``save_ip_rights`` writes them after
    the listing is saved. Unknown field / province codes raise ``ValidationError``.
    """
    from exchange.core.models import Province

    data = normalize(data)
    for key in SCALAR_FIELDS:
        if key in data:
            setattr(listing, key, data[key])
    if "field" in data:
        field = ScienceField.objects.filter(code=data["field"]).first() if data["field"] else None
        if field is None:
            raise ValidationError(
                {"field": _("Lĩnh vực “%(code)s” không có trong bảng phân loại.") % {"code": data["field"]}}
            )
        listing.field = field
    if "province" in data:
        code = data["province"]
        if code:
            province = (
                Province.objects.filter(code=code).first() or Province.objects.filter(name=code).first()
            )
            if province is None:
                raise ValidationError(
                    {"province": _("Không tìm thấy tỉnh/thành phố “%(code)s”.") % {"code": code}}
                )
            listing.province = province
        else:
            listing.province = None
    if "deadline" in data:
        listing.deadline = _date(data["deadline"], "deadline")
    return data.get("ip")


def save_ip_rights(listing: Listing, items: list[dict[str, Any]] | None) -> None:
    if items is None:
        return
    listing.ip_rights.all().delete()
    IPRight.objects.bulk_create(
        IPRight(
            listing=listing,
            type=item["type"],
            status=item["status"],
            number=item["number"],
            jurisdiction=item["jurisdiction"],
            filed_on=_date(item["filed_on"], "ip"),
            granted_on=_date(item["granted_on"], "ip"),
        )
        for item in items
    )


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any


def _label(name: str) -> str:
    if name == "ip":
        return _("Quyền sở hữu trí tuệ")
    try:
        return str(Listing._meta.get_field(name).verbose_name)
    except Exception:
        return name


def diff_snapshots(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """Field-by-field differences between two snapshots, in the order of ``EDITABLE_FIELDS``.

    Keys missing from one side count as ``None``; keys outside ``EDITABLE_FIELDS`` are compared last.
    """
    before = before or {}
    after = after or {}
    extra = sorted((set(before) | set(after)) - set(EDITABLE_FIELDS))
    changes = []
    for name in [*EDITABLE_FIELDS, *extra]:
        old, new = before.get(name), after.get(name)
        if old != new:
            changes.append(FieldChange(name=name, label=_label(name), before=old, after=new))
    return changes
