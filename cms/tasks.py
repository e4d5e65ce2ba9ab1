"""Background work of the public site: the email to someone who registered for an event without an account.

The task takes the registration id and decides what to send from the row itself, so running it twice
(a retry, two workers) sends each email once.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(retries=5, retry_delay=60)
def send_event_registration_email(registration_id: int) -> bool:
    from .services import event_registration_email_send

    return event_registration_email_send(registration_id=registration_id)
