"""Notification kinds of the regional network (vi + en), registered from ``RegionalNetworkConfig.ready``."""

from exchange.core.notifications import register

register(
    "federation_inquiry_received",
    subject={
        "vi": "Quan tâm mới từ {peer} cho tin {title}",
        "en": "New inquiry from {peer} about {title}",
    },
    body={
        "vi": "{buyer} ({organization}, {country}) qua {peer} quan tâm tới tin {title}:\n\n{message}\n\n"
        "Vui lòng chấp nhận hoặc từ chối trên cổng người dùng.",
        "en": "{buyer} ({organization}, {country}) via {peer} is interested in {title}:\n\n{message}\n\n"
        "Please accept or decline it in the portal.",
    },
)
register(
    "federation_inquiry_decided",
    subject={
        "vi": "Quan tâm từ {peer} cho tin {title}: {status_vi}",
        "en": "Inquiry from {peer} about {title}: {status_en}",
    },
    body={
        "vi": "{actor} đã {status_vi} quan tâm của {organization} (qua {peer}) tới tin {title}.",
        "en": "{actor} {status_en} the inquiry of {organization} (via {peer}) about {title}.",
    },
)
register(
    "federation_inquiry_status",
    subject={
        "vi": "Quan tâm tới tin {title} ({peer}): {status_vi}",
        "en": "Your inquiry about {title} ({peer}): {status_en}",
    },
    body={
        "vi": "Quan tâm của {organization} tới tin {title} trên {peer}: {status_vi}. {reason}",
        "en": "The inquiry of {organization} about {title} on {peer}: {status_en}. {reason}",
    },
)
