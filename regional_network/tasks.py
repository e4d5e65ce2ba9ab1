"""Background work of the regional network. Every task takes ids and is safe to run twice.

- ``federation_schedule`` (every minute) queues a pull for each active peer whose next attempt is due;
  backoff lives in ``Peer.next_attempt_at``, so tasks never retry on their own (no retry storms).
- ``federation_pull(peer_id)`` pulls one peer (the per-peer lease makes a second concurrent run a no-op).
- ``federation_push(seq)`` tells every active peer "changed up to seq"; a lost push is harmless because
  peers also pull on schedule.
- ``federation_repair`` (nightly) compares every peer's inventory with what we hold and repairs drift,
  re-logs our own listings whose change no hook reported, and forgets expired nonces.
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

logger = logging.getLogger(__name__)


@db_task()
def federation_pull(peer_id: int) -> str:
    from .services import peer_sync

    result = peer_sync(peer_id=peer_id)
    return result.status


@db_task()
def federation_push(seq: int) -> int:
    """Notify every active peer; failures are logged and never retried (the peer's schedule covers)."""
    from .client import PeerClient, PeerError
    from .models import Peer

    sent = 0
    for peer in Peer.objects.filter(active=True).only("pk", "origin", "base_url"):
        try:
            PeerClient(peer.base_url, timeout=_PUSH_TIMEOUT).notify(origin=settings.EXCHANGE_ORIGIN, seq=seq)
            sent += 1
        except PeerError as exc:
            logger.info("Push of seq %s to %s failed (harmless, it will pull): %s", seq, peer.origin, exc)
    return sent


def _push_timeout():
    import urllib3

    return urllib3.Timeout(connect=1.0, read=5.0)


_PUSH_TIMEOUT = _push_timeout()


@db_periodic_task(crontab(minute="*"))
def federation_schedule() -> int:
    from .services import peers_due

    due = peers_due()
    for peer_id in due:
        federation_pull(peer_id)
    return len(due)


@db_periodic_task(crontab(hour="19", minute="40"))  # 02:40 in Ho Chi Minh City
@lock_task("federation-repair")
def federation_repair() -> dict:
    from .changelog import changelog_compact, changelog_reconcile
    from .models import Peer
    from .services import peer_repair
    from .signatures import nonces_purge

    report = {"changelog": changelog_reconcile(), "compacted": changelog_compact(), "nonces": nonces_purge()}
    for peer_id in Peer.objects.filter(active=True).values_list("pk", flat=True):
        try:
            report[str(peer_id)] = peer_repair(peer_id=peer_id)
        except Exception as exc:  # noqa: BLE001 - one peer down must not stop the others
            logger.warning("Drift repair of peer %s failed: %r", peer_id, exc)
    return report


# --- inquiries on federated listings -------------------------------------------------------------------
@db_task()
def federation_inquiry_deliver(inquiry_id: int) -> str:
    """Send one forwarded inquiry to its origin (retries are scheduled by ``next_attempt_at``)."""
    from .inquiries import forwarded_inquiry_deliver

    return forwarded_inquiry_deliver(inquiry_id=inquiry_id)


@db_task()
def federation_inquiry_report(inquiry_id: int) -> str:
    """Report one incoming inquiry's decision back to the buyer's exchange."""
    from .inquiries import incoming_inquiry_report

    return incoming_inquiry_report(inquiry_id=inquiry_id)


@db_periodic_task(crontab(minute="*"))
def federation_inquiries_schedule() -> int:
    """Every minute: queue the deliveries and reports whose (backed-off) next attempt is due."""
    from .inquiries import inquiries_due

    forwarded, reports = inquiries_due()
    for pk in forwarded:
        federation_inquiry_deliver(pk)
    for pk in reports:
        federation_inquiry_report(pk)
    return len(forwarded) + len(reports)
