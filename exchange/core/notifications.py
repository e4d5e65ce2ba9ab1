"""The catalogue of notification kinds, each with its Vietnamese and English text.

Texts are kept side by side (not only in .po files) because an email must be rendered in the
recipient's language even when it is not the language of the request that caused it.
Placeholders use ``str.format`` names supplied by the caller's ``context``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    subject: dict[str, str]
    body: dict[str, str]

    def render(self, language: str, context: dict) -> tuple[str, str]:
        lang = language if language in self.subject else "vi"
        return self.subject[lang].format(**context), self.body[lang].format(**context)


KINDS: dict[str, NotificationKind] = {}


def register(code: str, *, subject: dict[str, str], body: dict[str, str]) -> NotificationKind:
    """Register a kind; apps call this at import time (from their ``notifications.py``)."""
    if code in KINDS:
        raise ValueError(f"Notification kind {code!r} registered twice")
    KINDS[code] = NotificationKind(subject=subject, body=body)
    return KINDS[code]


register(
    "generic",
    subject={"vi": "{subject_vi}", "en": "{subject_en}"},
    body={"vi": "{body_vi}", "en": "{body_en}"},
)
register(
    "membership_requested",
    subject={
        "vi": "Yêu cầu tham gia {organization}",
        "en": "Request to join {organization}",
    },
    body={
        "vi": "{user} muốn tham gia {organization} với vai trò {role}. Vui lòng duyệt hoặc từ chối.",
        "en": "{user} asks to join {organization} as {role}. Please approve or decline.",
    },
)
register(
    "membership_decided",
    subject={
        "vi": "Yêu cầu tham gia {organization}: {decision_vi}",
        "en": "Your request to join {organization}: {decision_en}",
    },
    body={
        "vi": "Yêu cầu tham gia {organization} của bạn đã được {decision_vi}.",
        "en": "Your request to join {organization} was {decision_en}.",
    },
)
# The digest email's subject comes from here; its body from core/email/daily_digest.<lang>.txt.
register(
    "daily_digest",
    subject={"vi": "Tổng hợp thông báo ({count})", "en": "Your daily digest ({count})"},
    body={
        "vi": "Bạn có {count} thông báo mới:\n\n{items}",
        "en": "You have {count} new notifications:\n\n{items}",
    },
)
