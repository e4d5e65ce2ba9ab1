"""Notification kinds of the listing lifecycle (Vietnamese and English texts side by side).

Context keys: ``title``, ``ref``, ``actor``; plus ``reason`` (sent back / rejected / unpublished),
``days`` and ``expires_on`` (expiry reminders).
"""

from exchange.core.notifications import register

register(
    "listing_submitted",
    subject={"vi": "Tin chờ TTO duyệt: {title}", "en": "Listing awaiting TTO approval: {title}"},
    body={
        "vi": "{actor} đã gửi tin “{title}” ({ref}). Vui lòng duyệt hoặc trả lại kèm lý do.",
        "en": "{actor} submitted the listing “{title}” ({ref}). "
        "Please approve it or send it back with a reason.",
    },
)
register(
    "listing_awaiting_moderation",
    subject={"vi": "Tin chờ kiểm duyệt: {title}", "en": "Listing awaiting moderation: {title}"},
    body={
        "vi": "Tin “{title}” ({ref}) đang chờ kiểm duyệt để đăng.",
        "en": "The listing “{title}” ({ref}) is waiting for moderation.",
    },
)
register(
    "listing_tto_approved",
    subject={"vi": "TTO đã duyệt tin: {title}", "en": "Your TTO approved: {title}"},
    body={
        "vi": "Bộ phận chuyển giao công nghệ đã duyệt tin “{title}”. Tin đang chờ kiểm duyệt viên của sàn.",
        "en": "Your technology transfer office approved “{title}”. It now awaits the exchange's moderators.",
    },
)
register(
    "listing_sent_back",
    subject={"vi": "Tin được trả lại để chỉnh sửa: {title}", "en": "Listing sent back for changes: {title}"},
    body={
        "vi": "Tin “{title}” đã được trả lại. Lý do: {reason}",
        "en": "The listing “{title}” was sent back. Reason: {reason}",
    },
)
register(
    "listing_published",
    subject={"vi": "Tin đã được đăng: {title}", "en": "Listing published: {title}"},
    body={
        "vi": "Tin “{title}” đã được đăng trên sàn đến ngày {expires_on}.",
        "en": "The listing “{title}” is published on the exchange until {expires_on}.",
    },
)
register(
    "listing_unpublished",
    subject={"vi": "Tin đã bị gỡ: {title}", "en": "Listing unpublished: {title}"},
    body={
        "vi": "Tin “{title}” đã được {actor} gỡ khỏi sàn. {reason}",
        "en": "The listing “{title}” was unpublished by {actor}. {reason}",
    },
)
register(
    "listing_expiring",
    subject={
        "vi": "Tin sắp hết hạn sau {days} ngày: {title}",
        "en": "Listing expires in {days} days: {title}",
    },
    body={
        "vi": "Tin “{title}” sẽ hết hạn ngày {expires_on}. "
        "Gia hạn chỉ với một lần bấm để tin tiếp tục hiển thị.",
        "en": "The listing “{title}” expires on {expires_on}. Renew it in one click to keep it visible.",
    },
)
register(
    "listing_expired",
    subject={"vi": "Tin đã hết hạn: {title}", "en": "Listing expired: {title}"},
    body={
        "vi": "Tin “{title}” đã hết hạn và không còn hiển thị. Bạn có thể gia hạn bất cứ lúc nào.",
        "en": "The listing “{title}” has expired and is no longer visible. You can renew it at any time.",
    },
)
register(
    "listing_renewed",
    subject={"vi": "Tin đã được gia hạn: {title}", "en": "Listing renewed: {title}"},
    body={
        "vi": "{actor} đã gia hạn tin “{title}” đến ngày {expires_on}.",
        "en": "{actor} renewed the listing “{title}” until {expires_on}.",
    },
)
register(
    "listing_closed",
    subject={"vi": "Tin đã đóng: {title}", "en": "Listing closed: {title}"},
    body={"vi": "{actor} đã đóng tin “{title}”.", "en": "{actor} closed the listing “{title}”."},
)
register(
    "listing_archived",
    subject={"vi": "Tin đã lưu trữ: {title}", "en": "Listing archived: {title}"},
    body={"vi": "{actor} đã lưu trữ tin “{title}”.", "en": "{actor} archived the listing “{title}”."},
)
register(
    "listing_revision_submitted",
    subject={"vi": "Bản sửa chờ duyệt: {title}", "en": "Edit awaiting approval: {title}"},
    body={
        "vi": "{actor} đề nghị sửa tin đang đăng “{title}” ({ref}). "
        "Bản đang đăng giữ nguyên đến khi được duyệt.",
        "en": "{actor} proposed changes to the published listing “{title}” ({ref}). "
        "The live version stays until approved.",
    },
)
register(
    "listing_revision_approved",
    subject={"vi": "Bản sửa đã được duyệt: {title}", "en": "Edit approved: {title}"},
    body={
        "vi": "Nội dung sửa đổi của tin “{title}” đã được duyệt và đang hiển thị.",
        "en": "The changes to “{title}” were approved and are now live.",
    },
)
register(
    "listing_revision_rejected",
    subject={"vi": "Bản sửa bị từ chối: {title}", "en": "Edit rejected: {title}"},
    body={
        "vi": "Nội dung sửa đổi của tin “{title}” không được duyệt. Lý do: {reason}",
        "en": "The changes to “{title}” were not approved. Reason: {reason}",
    },
)

# --- matching and saved searches (issue #5). Context: ``broker``, ``organization`` (the other side),
# ``listing`` (the other side's listing), ``offer``, ``request``, ``note``; ``name``, ``title``, ``count``.
register(
    "listing_introduced",
    subject={
        "vi": "Giới thiệu đối tác: {organization}",
        "en": "Introduction: {organization}",
    },
    body={
        "vi": "{broker} giới thiệu tổ chức của bạn với {organization} qua tin “{listing}” "
        "(nhu cầu “{request}” ↔ công nghệ “{offer}”). Ghi chú: {note}\n"
        "Mở tin để bắt đầu trao đổi trong phòng giao dịch.",
        "en": "{broker} introduced your organisation to {organization} through “{listing}” "
        "(need “{request}” ↔ technology “{offer}”). Note: {note}\n"
        "Open the listing to start a conversation in the deal room.",
    },
)
register(
    "saved_search_match",
    subject={
        "vi": "Tin mới khớp tìm kiếm “{name}”: {title}",
        "en": "New listing for your search “{name}”: {title}",
    },
    body={
        "vi": "Tin “{title}” vừa được đăng và khớp với tìm kiếm đã lưu “{name}” của bạn.",
        "en": "“{title}” has just been published and matches your saved search “{name}”.",
    },
)
register(
    "saved_search_digest",
    subject={
        "vi": "{count} tin mới khớp tìm kiếm “{name}”",
        "en": "{count} new listings for your search “{name}”",
    },
    body={
        "vi": "Từ lần thông báo trước, {count} tin mới khớp với tìm kiếm đã lưu “{name}” của bạn.",
        "en": "Since the last summary, {count} new listings match your saved search “{name}”.",
    },
)
