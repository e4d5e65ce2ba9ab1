"""How complete a listing is from a buyer's point of view: a weighted checklist, scored 0–100 %.

A pure function over either a ``Listing`` (with its IP rights, images and public documents, prefetched
or not) or snapshot-shaped data (``listings.snapshots.listing_snapshot`` keys, as the portal's form
produces them). Each missing item says *why* buyers need it, so the checklist teaches rather than nags.
Drafts may be incomplete; the score never blocks anything (``listings.services`` decides what is
required to submit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

OFFER = "offer"
REQUEST = "request"
NUMBERED_IP_STATUSES = {"filed", "granted"}
SECRET_IP_TYPES = {"trade_secret", "know_how"}


@dataclass(frozen=True)
class Check:
    key: str
    weight: int
    label: Any
    why: Any


@dataclass(frozen=True)
class Item:
    key: str
    weight: int
    label: Any
    why: Any
    done: bool


@dataclass(frozen=True)
class Completeness:
    score: int
    items: list[Item] = field(default_factory=list)

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.done]

    @property
    def done(self) -> list[Item]:
        return [i for i in self.items if i.done]

    @property
    def level(self) -> str:
        """``low`` / ``medium`` / ``high`` — for a CSS class, never shown as text."""
        if self.score >= 80:
            return "high"
        if self.score >= 50:
            return "medium"
        return "low"


OFFER_CHECKS: list[Check] = [
    Check(
        "title_vi",
        8,
        _("Tên công nghệ bằng tiếng Việt"),
        _("Doanh nghiệp trong nước tìm kiếm bằng tiếng Việt; tên rõ ràng là thứ đầu tiên họ đọc."),
    ),
    Check(
        "title_en",
        7,
        _("Tên công nghệ bằng tiếng Anh"),
        _("Nhà đầu tư nước ngoài và các sàn trong mạng lưới khu vực chỉ đọc được tên tiếng Anh."),
    ),
    Check(
        "summary",
        10,
        _("Tóm tắt"),
        _("Tóm tắt hiện trên kết quả tìm kiếm; người mua quyết định có mở tin hay không nhờ vài dòng này."),
    ),
    Check(
        "advantages",
        10,
        _("Vấn đề giải quyết và ưu điểm so với giải pháp hiện có"),
        _("Người mua cần biết vì sao công nghệ này tốt hơn cách họ đang làm để đánh giá giá trị."),
    ),
    Check(
        "applications",
        8,
        _("Lĩnh vực ứng dụng"),
        _("Giúp doanh nghiệp nhận ra công nghệ phù hợp với sản phẩm, ngành nghề của họ."),
    ),
    Check(
        "trl",
        10,
        _("Mức độ sẵn sàng công nghệ (TRL)"),
        _("TRL cho biết còn bao nhiêu công sức và vốn để đưa vào sản xuất — yếu tố chính khi định giá."),
    ),
    Check(
        "ip",
        10,
        _("Tình trạng sở hữu trí tuệ kèm số đơn / số bằng"),
        _(
            "Không có quyền SHTT rõ ràng thì không thể li-xăng hay chuyển nhượng; "
            "số đơn/bằng để người mua tra cứu."
        ),
    ),
    Check(
        "transaction_types",
        8,
        _("Hình thức giao dịch"),
        _("Người mua cần biết có thể mua đứt, li-xăng hay hợp tác phát triển trước khi liên hệ."),
    ),
    Check(
        "price",
        7,
        _("Khoảng giá hoặc “giá thỏa thuận”"),
        _("Một khoảng giá giúp doanh nghiệp tự sàng lọc theo ngân sách và tránh mất thời gian đôi bên."),
    ),
    Check(
        "images",
        7,
        _("Hình ảnh"),
        _("Tin có ảnh sản phẩm, thiết bị hoặc sơ đồ được xem nhiều hơn hẳn tin chỉ có chữ."),
    ),
    Check(
        "public_document",
        5,
        _("Tài liệu công khai (brochure, bản giới thiệu)"),
        _("Tài liệu tải về được để người mua chia sẻ trong nội bộ doanh nghiệp khi ra quyết định."),
    ),
    Check(
        "keywords",
        5,
        _("Từ khóa"),
        _("Từ khóa giúp tin xuất hiện khi doanh nghiệp tìm bằng thuật ngữ của ngành họ."),
    ),
    Check(
        "inventors",
        5,
        _("Tác giả / nhà sáng chế"),
        _("Tên nhóm nghiên cứu tạo niềm tin và là người sẽ hỗ trợ kỹ thuật khi chuyển giao."),
    ),
]

REQUEST_CHECKS: list[Check] = [
    Check(
        "title_vi",
        10,
        _("Tên nhu cầu bằng tiếng Việt"),
        _("Nhà khoa học trong nước tìm kiếm bằng tiếng Việt; tên rõ ràng giúp họ nhận ra nhu cầu phù hợp."),
    ),
    Check(
        "title_en",
        5,
        _("Tên nhu cầu bằng tiếng Anh"),
        _("Đơn vị cung cấp nước ngoài và các sàn trong mạng lưới khu vực chỉ đọc được tên tiếng Anh."),
    ),
    Check(
        "summary",
        10,
        _("Tóm tắt"),
        _(
            "Tóm tắt hiện trên kết quả tìm kiếm; "
            "bên cung cấp quyết định có mở tin hay không nhờ vài dòng này."
        ),
    ),
    Check(
        "problem",
        15,
        _("Vấn đề cần giải quyết"),
        _("Mô tả đúng vấn đề giúp bên cung cấp biết công nghệ của họ có giải quyết được hay không."),
    ),
    Check(
        "desired_outcome",
        12,
        _("Kết quả mong muốn"),
        _("Chỉ tiêu cụ thể (công suất, chất lượng, chi phí) để bên cung cấp đề xuất giải pháp sát nhu cầu."),
    ),
    Check(
        "trl_wanted",
        8,
        _("Mức độ sẵn sàng công nghệ mong muốn (TRL)"),
        _("Cho biết bạn cần công nghệ đã dùng được ngay hay sẵn sàng cùng phát triển tiếp."),
    ),
    Check(
        "transaction_types",
        8,
        _("Hình thức giao dịch"),
        _("Bên cung cấp cần biết bạn muốn mua, thuê li-xăng hay hợp tác phát triển."),
    ),
    Check(
        "price",
        10,
        _("Ngân sách dự kiến hoặc “thỏa thuận”"),
        _("Ngân sách giúp bên cung cấp đề xuất giải pháp phù hợp thay vì đoán."),
    ),
    Check(
        "deadline",
        7,
        _("Hạn chót"),
        _("Hạn chót cho bên cung cấp biết mức độ gấp và có kịp đáp ứng hay không."),
    ),
    Check(
        "keywords",
        7,
        _("Từ khóa"),
        _("Từ khóa giúp nhu cầu được gợi ý cho đúng nhà khoa học và công nghệ liên quan."),
    ),
    Check(
        "public_document",
        4,
        _("Tài liệu công khai (yêu cầu kỹ thuật)"),
        _("Một bản yêu cầu kỹ thuật giúp bên cung cấp chuẩn bị đề xuất đầy đủ ngay lần đầu."),
    ),
    Check(
        "images",
        4,
        _("Hình ảnh"),
        _("Ảnh dây chuyền, sản phẩm hay hiện trạng giúp bên cung cấp hiểu bối cảnh."),
    ),
]

assert sum(c.weight for c in OFFER_CHECKS) == 100  # noqa: S101 - weights must stay a percentage
assert sum(c.weight for c in REQUEST_CHECKS) == 100  # noqa: S101


def _text(value) -> bool:
    return bool(str(value or "").strip())


def _either(data: Mapping[str, Any], name: str) -> bool:
    return _text(data.get(f"{name}_vi")) or _text(data.get(f"{name}_en"))


def _non_empty_list(value) -> bool:
    return isinstance(value, list | tuple) and any(_text(v) for v in value)


def _ip_complete(items) -> bool:
    """At least one protected right (filed, granted, or a trade secret / know-how), and every filed or
    granted right carries its application or grant number so buyers can look it up."""
    items = [i for i in (items or []) if isinstance(i, Mapping)]
    protected = [
        i for i in items if i.get("type") in SECRET_IP_TYPES or i.get("status") in NUMBERED_IP_STATUSES
    ]
    if not protected:
        return False
    return all(
        _text(i.get("number"))
        for i in items
        if i.get("status") in NUMBERED_IP_STATUSES and i.get("type") not in SECRET_IP_TYPES
    )


def _facts_from_listing(listing) -> tuple[dict[str, Any], int, int]:
    """A snapshot-like dict plus the counts of images and public documents, using prefetched rows."""
    from listings.snapshots import SCALAR_FIELDS, ip_snapshot

    data = {name: getattr(listing, name, None) for name in SCALAR_FIELDS}
    data["deadline"] = listing.deadline
    data["ip"] = [ip_snapshot(ip) for ip in listing.ip_rights.all()] if listing.pk else []
    images = len(listing.images.all()) if listing.pk else 0
    public_docs = getattr(listing, "public_attachments", None)
    if public_docs is None:
        public_docs = [a for a in listing.attachments.all() if not a.confidential] if listing.pk else []
    return data, images, len(public_docs)


def completeness(
    source,
    *,
    kind: str | None = None,
    image_count: int | None = None,
    document_count: int | None = None,
) -> Completeness:
    """Score a listing (``Listing``) or snapshot-shaped form data (a mapping plus ``kind``).

    For a mapping, ``image_count`` and ``document_count`` say how many images and public documents the
    listing already has (media are uploaded separately from the form).
    """
    if isinstance(source, Mapping):
        data = dict(source)
        images, docs = image_count or 0, document_count or 0
        kind = kind or data.get("kind") or OFFER
    else:
        data, images, docs = _facts_from_listing(source)
        kind = kind or source.kind
        if image_count is not None:
            images = image_count
        if document_count is not None:
            docs = document_count

    price = (
        data.get("price_min") is not None
        or data.get("price_max") is not None
        or bool(data.get("price_negotiable"))
    )
    facts = {
        "title_vi": _text(data.get("title_vi")),
        "title_en": _text(data.get("title_en")),
        "summary": _either(data, "summary"),
        "advantages": _either(data, "advantages") or _either(data, "problem"),
        "applications": _either(data, "applications"),
        "problem": _either(data, "problem"),
        "desired_outcome": _either(data, "desired_outcome"),
        "trl": data.get("trl") not in (None, ""),
        "trl_wanted": data.get("trl_wanted_min") not in (None, "")
        or data.get("trl_wanted_max") not in (None, ""),
        "ip": _ip_complete(data.get("ip")),
        "transaction_types": _non_empty_list(data.get("transaction_types")),
        "price": price,
        "images": images > 0,
        "public_document": docs > 0,
        "keywords": _non_empty_list(data.get("keywords")),
        "inventors": _non_empty_list(data.get("inventors")),
        "deadline": bool(data.get("deadline")),
    }
    checks = REQUEST_CHECKS if kind == REQUEST else OFFER_CHECKS
    items = [Item(c.key, c.weight, c.label, c.why, facts[c.key]) for c in checks]
    score = sum(i.weight for i in items if i.done)
    return Completeness(score=score, items=items)
