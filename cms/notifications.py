"""Notification kinds of the public site (registered from CmsConfig.ready)."""

from exchange.core.notifications import register

register(
    "event_registration_confirmed",
    subject={"vi": "Đã xác nhận chỗ: {event}", "en": "Your seat is confirmed: {event}"},
    body={
        "vi": "Bạn đã đăng ký tham dự “{event}” lúc {start}. Hẹn gặp bạn!",
        "en": "You are registered for “{event}” at {start}. See you there!",
    },
)
register(
    "event_registration_waitlisted",
    subject={"vi": "Bạn đang trong danh sách chờ: {event}", "en": "You are on the waiting list: {event}"},
    body={
        "vi": "“{event}” ({start}) đã hết chỗ; khi có người hủy, sàn sẽ xếp chỗ cho bạn theo thứ tự đăng ký.",
        "en": "“{event}” ({start}) is full; when someone cancels you get a seat "
        "in the order of registration.",
    },
)
register(
    "event_registration_promoted",
    subject={"vi": "Bạn đã có chỗ: {event}", "en": "A seat is yours: {event}"},
    body={
        "vi": "Một chỗ tại “{event}” ({start}) vừa trống và đã được xếp cho bạn.",
        "en": "A seat at “{event}” ({start}) became free and is now yours.",
    },
)
