"""Daily listing jobs. Both are idempotent: a second run the same day finds nothing left to do.

Huey's crontab runs in UTC: 17:05 UTC is 00:05 in Ho Chi Minh City, 01:00 UTC is 08:00.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="17", minute="5"))
def expire_listings() -> int:
    return services.listings_expire_due()


@db_periodic_task(crontab(hour="1", minute="0"))
def send_listing_expiry_reminders() -> int:
    return services.listing_expiry_reminders_send()
