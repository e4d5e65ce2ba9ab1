"""Notification kinds of the valuation app (vi + en)."""

from exchange.core.notifications import register

register(
    "valuation_appraiser_assigned",
    subject={"vi": "Bạn được phân công thẩm định: {title}", "en": "You are assigned to appraise: {title}"},
    body={
        "vi": (
            "Nhân viên sàn đã phân công bạn thẩm định “{title}” của {owner}. "
            "Mở không gian định giá để làm việc."
        ),
        "en": (
            "Exchange staff assigned you to appraise “{title}” by {owner}. "
            "Open the valuation workspace to work on it."
        ),
    },
)
register(
    "valuation_report_published",
    subject={"vi": "Báo cáo thẩm định đã công bố: {title}", "en": "Appraisal report published: {title}"},
    body={
        "vi": "Thẩm định viên {appraiser} đã công bố báo cáo có ký xác nhận cho “{title}”.",
        "en": "Appraiser {appraiser} published a signed report for “{title}”.",
    },
)
