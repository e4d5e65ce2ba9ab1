"""Notification kinds of accounts (``membership_requested``/``membership_decided`` live in core)."""

from exchange.core.notifications import register

register(
    "membership_role_changed",
    subject={
        "vi": "Vai trò của bạn tại {organization} đã thay đổi",
        "en": "Your role at {organization} has changed",
    },
    body={
        "vi": "Vai trò của bạn tại {organization} đã được đổi thành: {role_vi}.",
        "en": "Your role at {organization} is now: {role_en}.",
    },
)
register(
    "organization_verified",
    subject={
        "vi": "{organization} đã được xác minh",
        "en": "{organization} has been verified",
    },
    body={
        "vi": "Sàn giao dịch công nghệ đã xác minh thông tin của {organization}.",
        "en": "The technology exchange has verified the details of {organization}.",
    },
)
