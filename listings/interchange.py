"""The technology interchange record ``techex.technology/1`` (docs: interchange.md): ONE validator and
ONE mapper, used by bulk import, the public API and the regional sync feed.

    cleaned, errors = validate_record(record, label="dòng 3")   # never raises on bad input
    data = record_to_listing_data(cleaned)                       # a ``listings.snapshots`` snapshot
    record = listing_to_record(listing)                          # what leaves the exchange

``validate_record`` checks every key the record format defines and ignores unknown keys (forward
compatibility). Each problem is a ``RecordError(record, key, message)`` naming the record and the key
(``ip[0].type``, ``price.min``), with a Vietnamese message followed by the English in parentheses.

The cleaned dict keeps the record's identity (``ref``, ``kind``, ``organization``) next to the content;
``record_to_listing_data`` turns the content into the snapshot form ``listings.snapshots.apply_snapshot``
takes (every key of ``EDITABLE_FIELDS``), so ``listing → record → validate → data`` equals
``listing_snapshot(listing)``.

Anonymous requests: ``listing_to_record`` (public by default) writes ``"organization": {"ref": null,
"name": null}`` — the key stays so consumers need no special case, and the validator accepts null
``ref``/``name`` only when ``anonymous`` is true. ``listing_to_record(listing, public=False)`` keeps the
organisation (an owner's own export). Media: only public files (images and non-confidential
attachments) ever appear; importing does not fetch media URLs.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import IPRight, IPStatus, IPType, Listing, ListingAttachment, ListingKind, TransactionType

SCHEMA = "techex.technology/1"
LANGUAGES = ("vi", "en")
TEXT_KEYS = ("title", "summary", "description", "advantages", "applications", "problem", "desired_outcome")
MEDIA_KINDS = ("image", "document")
REQUIRED = "thiếu khóa bắt buộc (missing required key)"


@dataclass(frozen=True)
class RecordError:
    """One problem: which record (label or ref), which key (a path such as ``ip[0].type``), what."""

    record: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.record}: {self.key}" if self.key else self.record
        return f"{where}: {self.message}"


# --- reference data looked up once per batch ----------------------------------------------------------
def fold(text: str) -> str:
    """Lower-case ASCII with Vietnamese marks removed (đ → d) and punctuation as single spaces."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(re.sub(r"[^0-9a-zA-Z]+", " ", text).lower().split())


_PROVINCE_PREFIXES = ("thanh pho ", "tp ", "tinh ")
# Everyday names of Ho Chi Minh City that are neither its official name nor a former province.
_PROVINCE_ALIASES = {"hcm": "79", "tphcm": "79", "hcmc": "79", "sai gon": "79", "saigon": "79"}


class Lookups:
    """Field codes and province names, loaded lazily once and shared by every record of a batch."""

    def __init__(self) -> None:
        self._fields: set[str] | None = None
        self._provinces: dict[str, str] | None = None
        self._province_names: dict[str, str] | None = None

    @property
    def field_codes(self) -> set[str]:
        if self._fields is None:
            from .models import ScienceField

            self._fields = set(ScienceField.objects.values_list("code", flat=True))
        return self._fields

    def _load_provinces(self) -> None:
        from exchange.core.models import Province

        keys: dict[str, str] = {}
        names: dict[str, str] = {}

        def add(text: str, code: str) -> None:
            key = fold(text)
            if not key:
                return
            keys.setdefault(key, code)
            for prefix in _PROVINCE_PREFIXES:
                if key.startswith(prefix):
                    keys.setdefault(key[len(prefix) :], code)
            keys.setdefault(key.replace(" city", ""), code)

        rows = list(Province.objects.values_list("code", "name", "name_en", "former_names"))
        # Official names and codes first, so a former name never shadows a current one.
        for code, name, name_en, _former in rows:
            names[code] = name
            keys.setdefault(fold(code), code)
            add(name, code)
            add(name_en, code)
        for code, _name, _name_en, former in rows:
            for old in (former or "").split(","):
                add(old, code)
        for alias, code in _PROVINCE_ALIASES.items():
            if code in names:
                keys.setdefault(alias, code)
        self._provinces, self._province_names = keys, names

    def province_code(self, text: str) -> str | None:
        if self._provinces is None:
            self._load_provinces()
        key = fold(text)
        found = self._provinces.get(key)
        for prefix in _PROVINCE_PREFIXES:
            if found is None and key.startswith(prefix):
                found = self._provinces.get(key[len(prefix) :])
        return found or self._provinces.get(key.replace(" ", ""))

    def province_name(self, code: str) -> str:
        if self._province_names is None:
            self._load_provinces()
        return self._province_names.get(code, code)


# --- the validator --------------------------------------------------------------------------------------
class _Checker:
    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[RecordError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(RecordError(self.label, key, message))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _lang_object(c: _Checker, record: dict, key: str, *, required: bool = False) -> dict[str, str]:
    value = record.get(key)
    if value is None:
        if required:
            c.error(key, REQUIRED)
        return {"vi": "", "en": ""}
    if not isinstance(value, dict):
        c.error(key, 'phải là đối tượng {"vi": …, "en": …} (must be a language object)')
        return {"vi": "", "en": ""}
    out = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if text is None:
            out[lang] = ""
        elif isinstance(text, str):
            out[lang] = text.strip()
        else:
            c.error(f"{key}.{lang}", "phải là chuỗi (must be a string)")
            out[lang] = ""
    if required and not (out["vi"] or out["en"]):
        c.error(key, "cần ít nhất một ngôn ngữ không rỗng (at least one of vi/en must be non-empty)")
    return out


def _bool(c: _Checker, record: dict, key: str) -> bool:
    value = record.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        c.error(key, "phải là true/false (must be a boolean)")
        return False
    return value


def _trl(c: _Checker, value: Any, key: str) -> int | None:
    if not _is_int(value) or not 1 <= value <= 9:
        c.error(key, "phải là số nguyên từ 1 đến 9 (must be an integer 1–9)")
        return None
    return value


def _date(c: _Checker, value: Any, key: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    c.error(key, "phải là ngày ISO YYYY-MM-DD (must be an ISO date)")
    return None


def _string_list(c: _Checker, record: dict, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.error(key, "phải là danh sách chuỗi (must be a list of strings)")
        return []
    return [v.strip() for v in value if v.strip()]


def _one_of(values) -> str:
    return f"không hợp lệ, chọn một trong (must be one of): {', '.join(values)}"


def _ip(c: _Checker, record: dict) -> list[dict[str, Any]]:
    value = record.get("ip")
    if value is None:
        return []
    if not isinstance(value, list):
        c.error("ip", "phải là danh sách (must be a list)")
        return []
    out = []
    for i, item in enumerate(value):
        key = f"ip[{i}]"
        if not isinstance(item, dict):
            c.error(key, "phải là đối tượng (must be an object)")
            continue
        ip_type, status = item.get("type"), item.get("status", IPStatus.NONE)
        if ip_type is None:
            c.error(f"{key}.type", REQUIRED)
        elif ip_type not in IPType.values:
            c.error(f"{key}.type", _one_of(IPType.values))
        if status is None:
            status = IPStatus.NONE
        if status not in IPStatus.values:
            c.error(f"{key}.status", _one_of(IPStatus.values))
        number = item.get("number") or ""
        jurisdiction = item.get("jurisdiction") or "VN"
        for sub, text, limit in (("number", number, 100), ("jurisdiction", jurisdiction, 10)):
            if not isinstance(text, str):
                c.error(f"{key}.{sub}", "phải là chuỗi (must be a string)")
            elif len(text) > limit:
                c.error(f"{key}.{sub}", f"dài quá {limit} ký tự (longer than {limit} characters)")
        out.append(
            {
                "type": ip_type,
                "status": status,
                "number": number.strip() if isinstance(number, str) else "",
                "jurisdiction": jurisdiction.strip() if isinstance(jurisdiction, str) else "VN",
                "filed_on": _date(c, item.get("filed_on"), f"{key}.filed_on"),
                "granted_on": _date(c, item.get("granted_on"), f"{key}.granted_on"),
            }
        )
    return out


def _transaction_types(c: _Checker, record: dict) -> list[str]:
    value = record.get("transaction_types")
    if value is None:
        c.error("transaction_types", REQUIRED)
        return []
    if not isinstance(value, list) or not value:
        c.error("transaction_types", "phải là danh sách không rỗng (must be a non-empty list)")
        return []
    unknown = [str(v) for v in value if v not in TransactionType.values]
    if unknown:
        c.error(
            "transaction_types",
            f"giá trị không hợp lệ (unknown values): {', '.join(unknown)}; "
            f"chọn trong (allowed): {', '.join(TransactionType.values)}",
        )
        return []
    if len(set(value)) != len(value):
        c.error("transaction_types", "giá trị bị lặp (duplicate values)")
    return list(dict.fromkeys(value))


def _price(c: _Checker, record: dict) -> dict[str, Any]:
    empty = {"min": None, "max": None, "negotiable": False}
    value = record.get("price")
    if value is None:
        return empty
    if not isinstance(value, dict):
        c.error("price", "phải là đối tượng {currency, min, max, negotiable} (must be an object)")
        return empty
    if value.get("currency") is None:
        c.error("price.currency", REQUIRED)
    elif value.get("currency") != "VND":
        c.error("price.currency", 'chỉ nhận "VND" (only "VND" is accepted)')
    out = dict(empty)
    for key in ("min", "max"):
        amount = value.get(key)
        if amount is None:
            continue
        if not _is_int(amount) or amount < 0:
            c.error(f"price.{key}", "phải là số nguyên VND không âm (must be a non-negative integer in VND)")
        else:
            out[key] = amount
    if out["min"] is not None and out["max"] is not None and out["min"] > out["max"]:
        c.error("price.max", "phải lớn hơn hoặc bằng min (must be ≥ min)")
    negotiable = value.get("negotiable", False)
    if negotiable is None:
        negotiable = False
    if not isinstance(negotiable, bool):
        c.error("price.negotiable", "phải là true/false (must be a boolean)")
    else:
        out["negotiable"] = negotiable
    return out


def _organization(c: _Checker, record: dict, *, anonymous: bool, required: bool) -> dict[str, str] | None:
    value = record.get("organization")
    if value is None:
        if required and not anonymous:
            c.error("organization", REQUIRED)
        return None
    if not isinstance(value, dict):
        c.error("organization", "phải là đối tượng {ref, name} (must be an object)")
        return None
    ref, name = value.get("ref"), value.get("name")
    if ref is None and name is None and (anonymous or not required):
        return None  # hidden (anonymous request) or left to the importer's organisation
    out = {}
    for key, text in (("ref", ref), ("name", name)):
        if text is None or (isinstance(text, str) and not text.strip()):
            if key == "ref" or required:
                c.error(f"organization.{key}", REQUIRED)
            out[key] = ""
        elif not isinstance(text, str):
            c.error(f"organization.{key}", "phải là chuỗi (must be a string)")
            out[key] = ""
        else:
            out[key] = text.strip()
    if out["ref"] and (len(out["ref"]) > 64 or not re.fullmatch(r"[-a-zA-Z0-9_]+", out["ref"])):
        c.error("organization.ref", "chỉ gồm chữ, số, - và _ , tối đa 64 ký tự (slug, at most 64 characters)")
    return out


def _inventors(c: _Checker, record: dict) -> list[str]:
    value = record.get("inventors")
    if value is None:
        return []
    if not isinstance(value, list):
        c.error("inventors", "phải là danh sách {name} (must be a list of {name})")
        return []
    names = []
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            c.error(f"inventors[{i}].name", "phải là chuỗi không rỗng (must be a non-empty string)")
        else:
            names.append(name.strip())
    return names


def _media(c: _Checker, record: dict) -> list[dict[str, str]]:
    value = record.get("media")
    if value is None:
        return []
    if not isinstance(value, list):
        c.error("media", "phải là danh sách (must be a list)")
        return []
    out = []
    for i, item in enumerate(value):
        key = f"media[{i}]"
        if not isinstance(item, dict):
            c.error(key, "phải là đối tượng (must be an object)")
            continue
        url, kind = item.get("url"), item.get("kind")
        if not isinstance(url, str) or not url.strip():
            c.error(f"{key}.url", REQUIRED)
        if kind not in MEDIA_KINDS:
            c.error(f"{key}.kind", 'phải là "image" hoặc "document" (must be "image" or "document")')
        entry = {"url": url if isinstance(url, str) else "", "kind": kind}
        for sub in ("title", "language"):
            text = item.get(sub) or ""
            if not isinstance(text, str):
                c.error(f"{key}.{sub}", "phải là chuỗi (must be a string)")
                text = ""
            entry[sub] = text
        out.append(entry)
    return out


def validate_record(
    record: Any,
    *,
    label: str = "",
    lookups: Lookups | None = None,
    require_organization: bool = True,
) -> tuple[dict | None, list[RecordError]]:
    """Check one record; return ``(cleaned, [])`` or ``(None, errors)`` listing every problem found.

    ``label`` names the record in messages (default: its ref). Pass one ``Lookups`` to every call of a
    batch so the field and province tables are read once. ``require_organization=False`` lets records
    leave the organisation out (an import into a chosen organisation).
    """
    lookups = lookups or Lookups()
    if not isinstance(record, dict):
        message = "bản ghi phải là đối tượng JSON (record must be a JSON object)"
        return None, [RecordError(label or "?", "", message)]
    ref = record.get("ref")
    c = _Checker(label or (ref if isinstance(ref, str) and ref.strip() else "?"))

    if record.get("schema") is None:
        c.error("schema", REQUIRED)
    elif record.get("schema") != SCHEMA:
        c.error("schema", f'phải là "{SCHEMA}" (must be "{SCHEMA}")')
    if ref is None:
        c.error("ref", REQUIRED)
    elif not isinstance(ref, str) or not ref.strip():
        c.error("ref", "phải là chuỗi không rỗng (must be a non-empty string)")
    elif len(ref.strip()) > 100:
        c.error("ref", "dài quá 100 ký tự (longer than 100 characters)")
    kind = record.get("kind")
    if kind is None:
        c.error("kind", REQUIRED)
    elif kind not in ListingKind.values:
        c.error("kind", 'phải là "offer" hoặc "request" (must be "offer" or "request")')

    texts = {key: _lang_object(c, record, key, required=key == "title") for key in TEXT_KEYS}
    for lang in LANGUAGES:
        if len(texts["title"][lang]) > 300:
            c.error(f"title.{lang}", "dài quá 300 ký tự (longer than 300 characters)")

    field = record.get("field")
    if field is None:
        c.error("field", REQUIRED)
    elif not isinstance(field, str) or field.strip() not in lookups.field_codes:
        c.error("field", f"mã lĩnh vực không có trong bảng phân loại (unknown field code): {field}")
    trl = record.get("trl")
    if trl is None:
        if kind == ListingKind.OFFER:
            c.error("trl", "bắt buộc với chào bán công nghệ (required for offers)")
    else:
        trl = _trl(c, trl, "trl")

    trl_wanted = {"min": None, "max": None}
    value = record.get("trl_wanted")
    if value is not None:
        if not isinstance(value, dict):
            c.error("trl_wanted", "phải là đối tượng {min, max} (must be an object)")
        else:
            for key in ("min", "max"):
                if value.get(key) is not None:
                    trl_wanted[key] = _trl(c, value[key], f"trl_wanted.{key}")
            if None not in trl_wanted.values() and trl_wanted["min"] > trl_wanted["max"]:
                c.error("trl_wanted.max", "phải lớn hơn hoặc bằng min (must be ≥ min)")

    province_code = None
    province = record.get("province")
    if province is not None and province != "":
        if not isinstance(province, str):
            c.error("province", "phải là chuỗi (must be a string)")
        else:
            province_code = lookups.province_code(province)
            if province_code is None:
                c.error("province", f"không tìm thấy tỉnh/thành phố (unknown province): {province}")

    updated_at = record.get("updated_at")
    if updated_at is not None:
        parsed = None
        if isinstance(updated_at, str):
            try:
                parsed = dt.datetime.fromisoformat(updated_at)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            c.error("updated_at", "phải là thời điểm ISO 8601 có múi giờ (must be ISO 8601 with an offset)")
            updated_at = None

    anonymous = _bool(c, record, "anonymous")
    cleaned = {
        "ref": ref.strip() if isinstance(ref, str) else ref,
        "kind": kind,
        **texts,
        "field": field.strip() if isinstance(field, str) else field,
        "keywords": _string_list(c, record, "keywords"),
        "trl": trl,
        "ip": _ip(c, record),
        "transaction_types": _transaction_types(c, record),
        "price": _price(c, record),
        "organization": _organization(c, record, anonymous=anonymous, required=require_organization),
        "inventors": _inventors(c, record),
        "province": province_code,
        "state_funded": _bool(c, record, "state_funded"),
        "updated_at": updated_at,
        "trl_wanted": trl_wanted,
        "deadline": _date(c, record.get("deadline"), "deadline"),
        "anonymous": anonymous,
        "media": _media(c, record),
    }
    if c.errors:
        return None, c.errors
    return cleaned, []


def validate_records(
    records: Iterable[Any], *, labels: Iterable[str] | None = None, require_organization: bool = True
) -> tuple[list[dict], list[RecordError]]:
    """Validate a batch: every record, plus refs repeated within the batch. Cleaned list only if all pass."""
    lookups = Lookups()
    cleaned_all, errors, seen = [], [], {}
    labels = list(labels) if labels is not None else None
    for i, record in enumerate(records):
        label = labels[i] if labels else record_label(record, i)
        cleaned, errs = validate_record(
            record, label=label, lookups=lookups, require_organization=require_organization
        )
        errors.extend(errs)
        if cleaned is not None:
            if cleaned["ref"] in seen:
                message = f"trùng với bản ghi {seen[cleaned['ref']]} (duplicate ref in the file)"
                errors.append(RecordError(label, "ref", message))
            seen.setdefault(cleaned["ref"], label)
            cleaned_all.append(cleaned)
    return (cleaned_all, []) if not errors else ([], errors)


def record_label(record: Any, index: int) -> str:
    """``#3 (hcmut-2024-017)``, or the label a reader attached (``dòng 12``, ``hàng 5``)."""
    base = getattr(record, "label", None) or f"#{index + 1}"
    ref = record.get("ref") if isinstance(record, dict) else None
    return f"{base} ({ref})" if isinstance(ref, str) and ref.strip() else base


# --- the mapper -----------------------------------------------------------------------------------------
def record_to_listing_data(cleaned: dict) -> dict[str, Any]:
    """The listing content of a validated record, as a snapshot (``listings.snapshots.EDITABLE_FIELDS``).

    Identity (``ref``, ``kind``, ``organization``) and ``media``/``updated_at`` stay in ``cleaned``.
    """
    data: dict[str, Any] = {}
    for key in TEXT_KEYS:
        for lang in LANGUAGES:
            data[f"{key}_{lang}"] = cleaned[key][lang]
    data.update(
        keywords=list(cleaned["keywords"]),
        trl=cleaned["trl"],
        transaction_types=list(cleaned["transaction_types"]),
        price_min=cleaned["price"]["min"],
        price_max=cleaned["price"]["max"],
        price_negotiable=cleaned["price"]["negotiable"],
        inventors=list(cleaned["inventors"]),
        state_funded=cleaned["state_funded"],
        trl_wanted_min=cleaned["trl_wanted"]["min"],
        trl_wanted_max=cleaned["trl_wanted"]["max"],
        anonymous=cleaned["anonymous"],
        field=cleaned["field"],
        province=cleaned["province"],
        deadline=cleaned["deadline"],
        ip=[dict(item) for item in cleaned["ip"]],
    )
    return data


def listings_for_records(qs: QuerySet[Listing] | None = None) -> QuerySet[Listing]:
    """The joins ``listing_to_record`` needs, so a page of records costs a fixed number of queries."""
    qs = Listing.objects.all() if qs is None else qs
    return qs.select_related("organization", "field", "province").prefetch_related(
        Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
        "images",
        Prefetch(
            "attachments",
            queryset=ListingAttachment.objects.filter(confidential=False).order_by("id"),
            to_attr="public_attachments",
        ),
    )


def _lang(listing: Listing, key: str) -> dict[str, str]:
    texts = {lang: getattr(listing, f"{key}_{lang}") for lang in LANGUAGES}
    return {lang: text for lang, text in texts.items() if text}


def _absolute(url: str, base_url: str) -> str:
    if base_url and url.startswith("/"):
        return base_url.rstrip("/") + url
    return url


def listing_media(listing: Listing, *, base_url: str = "") -> list[dict[str, str]]:
    """Public images and non-confidential documents only; confidential files never leave."""
    media = []
    for image in listing.images.all():
        if image.image:
            url = _absolute(image.image.url, base_url)
            media.append({"url": url, "kind": "image", "title": image.caption, "language": ""})
    attachments = getattr(listing, "public_attachments", None)
    if attachments is None:
        attachments = listing.attachments.filter(confidential=False).order_by("id")
    for doc in attachments:
        if doc.confidential or not doc.public_file:
            continue
        media.append(
            {
                "url": _absolute(doc.public_file.url, base_url),
                "kind": "document",
                "title": doc.title or doc.original_name,
                "language": doc.language,
            }
        )
    return media


def listing_to_record(listing: Listing, *, public: bool = True, base_url: str = "") -> dict[str, Any]:
    """The interchange record of a listing, with ``origin`` and ``version`` (sync feed, API detail).

    ``public=True`` hides the organisation of an anonymous request (``{"ref": null, "name": null}``).
    ``base_url`` (e.g. ``https://san.example.vn``) makes media URLs absolute. Fetch listings with
    ``listings_for_records`` and this issues no query.
    """
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "origin": listing.origin or settings.EXCHANGE_ORIGIN,
        "version": listing.version,
        "ref": listing.ref,
        "kind": listing.kind,
        "title": _lang(listing, "title"),
    }
    for key in ("summary", "description", "advantages", "applications", "problem", "desired_outcome"):
        text = _lang(listing, key)
        if text:
            record[key] = text
    record["field"] = listing.field.code
    record["keywords"] = list(listing.keywords or [])
    if listing.trl is not None:
        record["trl"] = listing.trl
    record["ip"] = [
        {
            "type": ip.type,
            "status": ip.status,
            "number": ip.number,
            "jurisdiction": ip.jurisdiction,
            "filed_on": ip.filed_on.isoformat() if ip.filed_on else None,
            "granted_on": ip.granted_on.isoformat() if ip.granted_on else None,
        }
        for ip in listing.ip_rights.all()
    ]
    record["transaction_types"] = list(listing.transaction_types or [])
    if listing.price_min is not None or listing.price_max is not None or listing.price_negotiable:
        record["price"] = {
            "currency": "VND",
            "min": listing.price_min,
            "max": listing.price_max,
            "negotiable": listing.price_negotiable,
        }
    if public and listing.anonymous:
        record["organization"] = {"ref": None, "name": None}
    else:
        record["organization"] = {"ref": listing.organization.ref, "name": listing.organization.name}
    record["inventors"] = [{"name": name} for name in (listing.inventors or [])]
    if listing.province_id:
        record["province"] = listing.province.name
    record["state_funded"] = listing.state_funded
    wanted = (listing.trl_wanted_min, listing.trl_wanted_max)
    if listing.kind == ListingKind.REQUEST or wanted != (None, None):
        record["trl_wanted"] = {"min": listing.trl_wanted_min, "max": listing.trl_wanted_max}
    if listing.deadline:
        record["deadline"] = listing.deadline.isoformat()
    if listing.kind == ListingKind.REQUEST or listing.anonymous:
        record["anonymous"] = listing.anonymous
    record["media"] = listing_media(listing, base_url=base_url)
    if listing.updated_at:
        record["updated_at"] = timezone.localtime(listing.updated_at).isoformat(timespec="seconds")
    return record
