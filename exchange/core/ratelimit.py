"""Rate limits for actions people can repeat (inquiries, messages): fixed windows counted in the cache.

``RATE_LIMITS`` (settings) maps an action to ``"count/seconds"``; ``rate_limit_hit(action, key)`` counts one
attempt and raises ``RateLimited`` past the limit. ``RateLimited`` is a ``ValidationError`` (forms and
services show it like any other refusal) carrying ``retry_after``; the API answers it with 429 and
``Retry-After``. Counters live in the default cache: in production that must be a cache shared by every
web process (``CACHE_REDIS_URL``); the local-memory default counts per process.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULTS = {
    "deal_inquiry": "10/3600",  # new conversations a person may open per hour
    "deal_message": "30/600",  # messages a person may send per 10 minutes
}


class RateLimited(ValidationError):
    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            _("Bạn thao tác quá nhanh; hãy thử lại sau %(seconds)s giây.") % {"seconds": self.retry_after},
            code="rate_limited",
        )


def _limit(action: str) -> tuple[int, int]:
    spec = {**DEFAULTS, **getattr(settings, "RATE_LIMITS", {})}[action]
    count, seconds = spec.split("/")
    return int(count), int(seconds)


def rate_limit_hit(action: str, key: object) -> None:
    """Count one ``action`` by ``key`` (e.g. a user id); raise ``RateLimited`` when over the limit."""
    count, seconds = _limit(action)
    if count <= 0:
        return
    now = int(time.time())
    window = now // seconds
    cache_key = f"ratelimit:{action}:{key}:{window}"
    cache.add(cache_key, 0, timeout=seconds + 5)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=seconds + 5)
        used = 1
    if used > count:
        raise RateLimited(retry_after=(window + 1) * seconds - now)
