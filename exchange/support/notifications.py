"""Notification kinds of support requests (Vietnamese and English side by side).

Context keys: ``ref`` (DV-<id>), ``kind`` (vi), ``kind_en``, ``actor``, plus ``total``, ``reason``.
"""

from exchange.core.notifications import register

_KINDS = {
    "support_request_created": (
        ("Yêu cầu dịch vụ mới {ref}: {kind}", "New service request {ref}: {kind_en}"),
        ("{actor} gửi yêu cầu dịch vụ “{kind}”.", "{actor} asked for the service “{kind_en}”."),
    ),
    "support_request_quoted": (
        ("Báo giá cho yêu cầu {ref}", "Quote for your request {ref}"),
        (
            "Sàn đã báo giá {total} VND (gồm thuế GTGT) cho yêu cầu “{kind}”. Vui lòng xem và chấp nhận.",
            "The exchange quoted {total} VND (VAT included) for “{kind_en}”. Please review and accept.",
        ),
    ),
    "support_request_quote_accepted": (
        ("Báo giá {ref} đã được chấp nhận", "Quote {ref} accepted"),
        (
            "{actor} đã chấp nhận báo giá {total} VND cho “{kind}”.",
            "{actor} accepted the quote of {total} VND for “{kind_en}”.",
        ),
    ),
    "support_request_paid": (
        ("Yêu cầu {ref} đã được thanh toán", "Request {ref} has been paid"),
        (
            "Người yêu cầu đã thanh toán {total} VND cho dịch vụ “{kind}”.",
            "The requester paid {total} VND for “{kind_en}”.",
        ),
    ),
    "support_request_assigned": (
        ("Bạn được phân công yêu cầu {ref}", "You were assigned request {ref}"),
        (
            "Yêu cầu dịch vụ “{kind}” được giao cho bạn.",
            "The service request “{kind_en}” is assigned to you.",
        ),
    ),
    "support_request_started": (
        ("Bắt đầu thực hiện {ref}", "Work started on {ref}"),
        ("Sàn đã bắt đầu thực hiện dịch vụ “{kind}”.", "The exchange started work on “{kind_en}”."),
    ),
    "support_request_delivered": (
        ("Dịch vụ {ref} đã hoàn thành", "Service {ref} delivered"),
        ("Dịch vụ “{kind}” đã hoàn thành.", "The service “{kind_en}” has been delivered."),
    ),
    "support_request_closed": (
        ("Yêu cầu {ref} đã đóng", "Request {ref} closed"),
        (
            "Yêu cầu “{kind}” đã bị từ chối hoặc hủy. Lý do: {reason}",
            "“{kind_en}” was declined or cancelled. Reason: {reason}",
        ),
    ),
}

for _code, ((_subject_vi, _subject_en), (_body_vi, _body_en)) in _KINDS.items():
    register(_code, subject={"vi": _subject_vi, "en": _subject_en}, body={"vi": _body_vi, "en": _body_en})
