"""Notification kinds of payments (Vietnamese and English side by side).

Context keys: ``deal`` (GD-<id>), ``reference``, ``label`` (milestone), ``amount``/``remaining`` (VND,
formatted), ``reason``.
"""

from exchange.core.notifications import register

_KINDS = {
    "payment_requested": (
        ("Yêu cầu thanh toán {reference} ({deal})", "Payment request {reference} ({deal})"),
        (
            "Bên chuyển giao yêu cầu thanh toán {amount} VND cho mốc “{label}”. Mã thanh toán: {reference} — "
            "ghi mã này trong nội dung chuyển khoản, hoặc thanh toán bằng thẻ.",
            "The seller requests {amount} VND for the milestone “{label}”. Payment reference: {reference} — "
            "put it in the transfer note, or pay by card.",
        ),
    ),
    "payment_received": (
        ("Đã nhận thanh toán {reference} ({deal})", "Payment received {reference} ({deal})"),
        (
            "Sàn đã nhận {amount} VND cho mốc “{label}”. Còn lại: {remaining} VND.",
            "The exchange received {amount} VND for the milestone “{label}”. Remaining: {remaining} VND.",
        ),
    ),
    "payment_failed": (
        ("Thanh toán thẻ không thành công ({reference})", "Card payment failed ({reference})"),
        (
            "Thanh toán thẻ cho mốc “{label}” không thành công: {reason}. "
            "Bạn có thể thử lại hoặc chuyển khoản.",
            "The card payment for the milestone “{label}” failed: {reason}. You can retry or pay by bank "
            "transfer.",
        ),
    ),
    "payment_cancelled": (
        ("Yêu cầu thanh toán {reference} đã hủy ({deal})", "Payment request {reference} cancelled ({deal})"),
        (
            "Yêu cầu thanh toán cho mốc “{label}” đã hủy. Lý do: {reason}",
            "The payment request for the milestone “{label}” was cancelled. Reason: {reason}",
        ),
    ),
    "payment_refunded": (
        ("Đã hoàn tiền {reference} ({deal})", "Refund made {reference} ({deal})"),
        (
            "Sàn đã hoàn {amount} VND cho mốc “{label}”.",
            "The exchange refunded {amount} VND for the milestone “{label}”.",
        ),
    ),
    "payout_made": (
        ("Sàn đã chi trả {amount} VND", "The exchange paid out {amount} VND"),
        (
            "Sàn giao dịch đã chuyển {amount} VND ({account}). Mã giao dịch: {reference}.",
            "The exchange transferred {amount} VND ({account}). Transaction id: {reference}.",
        ),
    ),
}

for _code, ((_subject_vi, _subject_en), (_body_vi, _body_en)) in _KINDS.items():
    register(_code, subject={"vi": _subject_vi, "en": _subject_en}, body={"vi": _body_vi, "en": _body_en})
