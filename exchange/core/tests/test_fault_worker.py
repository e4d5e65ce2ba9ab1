"""Fault test (issue #11): the worker killed mid-task.

The real worker (``manage.py run_huey`` in a subprocess, as in ``test_worker.py``) is made slow through a
test-only setting (``TECHEX_WORKER_SLOW_QUERIES``: every query it runs waits first), so that a real task -
an index update of 20 listings, a notification email - is still running when the worker gets SIGKILL.

What this pins down: huey removes a task from its queue when a worker takes it, so a killed worker loses the
task (nothing is rerun by huey itself). The task's transaction dies with the process, so nothing partial is
left; the project's periodic repair jobs - the hourly search reconcile, the ten-minute lost-email requeue -
bring the outcome back once a worker runs again, and running them (or the task) again changes nothing.
"""

import os
import signal
import time

import pytest

from exchange.core.models import Notification
from exchange.core.services import notify
from exchange.core.tasks import requeue_lost_notification_emails, send_notification_email
from listings.lifecycle import ListingState
from listings.search.base import get_backend
from listings.search.indexing import drift, search_index_listings, search_reconcile
from listings.tests.factories import ListingFactory

from .test_worker import TIMEOUT, queue_file, start_worker, wait_for  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SLOW = {"TECHEX_WORKER_SLOW_QUERIES": "0.4"}


def _kill_once_running(proc, log_path, task_name: str, *, after: float = 0.0) -> None:
    """SIGKILL the worker's whole process group once its log says it started ``task_name``."""
    wait_for(
        lambda: f"Executing {task_name}" in log_path.read_text(), proc, log_path, f"{task_name} to start"
    )
    time.sleep(after)
    assert proc.poll() is None, "the task finished before the kill: make the worker slower"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def _run_periodic(periodic_task, proc, log_path) -> None:
    """Queue a periodic task now (what the schedule does at its time) and wait until the worker ran it
    (huey keeps no result for periodic tasks, so the worker's log line is the signal)."""
    queued = periodic_task()
    wait_for(lambda: f"{queued.id} executed in" in log_path.read_text(), proc, log_path, periodic_task.name)


def _result(task_result, log_path):
    from huey.exceptions import ResultTimeout

    try:
        return task_result.get(blocking=True, timeout=TIMEOUT)
    except ResultTimeout:
        pytest.fail(f"no result within {TIMEOUT}s:\n{log_path.read_text()}")


def test_killed_mid_index_update_leaves_nothing_partial_and_the_reconcile_repairs_it(
    start_worker,  # noqa: F811 - the fixture imported above
    queue_file,  # noqa: F811
    tmp_path,
):
    from huey.contrib.djhuey import HUEY

    listings = ListingFactory.create_batch(20, state=ListingState.PUBLISHED, search_index=False)
    ids = [listing.pk for listing in listings]
    database = get_backend("database")
    assert database.count() == 0  # conftest empties the index after every transactional test
    log = tmp_path / "worker.log"

    search_index_listings(ids)
    proc = start_worker(extra_env=SLOW)
    _kill_once_running(proc, log, "listings.search.indexing.search_index_listings", after=1.0)

    # The task is gone (huey dequeued it) and its transaction died with the worker: no half-built index.
    assert HUEY.pending_count() == 0 and HUEY.scheduled_count() == 0
    assert database.count() == 0
    assert drift(database)["missing"] == 20

    proc = start_worker()
    _run_periodic(search_reconcile, proc, log)  # what the hourly schedule runs
    assert "Search index 'database' drifted, repaired: {'missing': 20}" in log.read_text()
    assert drift(database) == {"published": 20, "indexed": 20, "missing": 0, "stale": 0, "orphans": 0}

    # The lost task turning up after all, and the next reconcile, change nothing.
    assert _result(search_index_listings(ids), log) == 20
    _run_periodic(search_reconcile, proc, log)
    assert log.read_text().count("drifted, repaired") == 1  # the second run found nothing to repair
    assert database.count() == 20
    assert drift(database)["stale"] == 0


def _member_request_notification(make_user):
    """An English-speaking user and one notification for them whose email the worker is to send."""
    user = make_user(language="en")
    notification = notify(
        recipient=user,
        kind="membership_requested",
        context={"organization": "Viện A", "user": "B", "role": "member"},
    )
    return user, notification


def test_killed_while_emailing_the_email_is_requeued_and_sent_once(
    start_worker,  # noqa: F811 - the fixture imported above
    make_user,
    tmp_path,
):
    from huey.contrib.djhuey import HUEY

    email_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    user, notification = _member_request_notification(make_user)
    proc = start_worker(email_dir=email_dir, extra_env=SLOW)
    _kill_once_running(proc, log, "exchange.core.tasks.send_notification_email")
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert not email_dir.exists() or not any(email_dir.iterdir())
    assert HUEY.pending_count() == 0  # the task is lost with the worker

    proc = start_worker(email_dir=email_dir, extra_env={"TECHEX_WORKER_EMAIL_REPAIR_AFTER": "0"})
    _run_periodic(requeue_lost_notification_emails, proc, log)  # the ten-minute repair job
    assert "Queued 1 notification emails again" in log.read_text()
    wait_for(
        lambda: (
            Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()
            and email_dir.exists()
            and any(email_dir.iterdir())
        ),
        proc,
        log,
        "the requeued email",
    )
    # Again, and the original task arriving late: nothing more is sent.
    _run_periodic(requeue_lost_notification_emails, proc, log)
    assert log.read_text().count("notification emails again") == 1  # nothing left to requeue
    assert _result(send_notification_email(notification.pk), log) is False
    (message,) = list(email_dir.iterdir())
    assert user.email in message.read_text()


def test_killed_between_claim_and_send_the_email_is_sent_after_the_lease_and_only_once(
    start_worker,  # noqa: F811 - the fixture imported above
    make_user,
    tmp_path,
    settings,
):
    """The worker claimed the notification (``emailed_at``) and died before the mail went out: the claim
    lapses after ``NOTIFICATION_EMAIL_LEASE``, the repair job queues it, it is sent once and recorded
    (``email_sent_at``); the repair job and the original task running again change nothing."""
    email_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    user, notification = _member_request_notification(make_user)
    proc = start_worker(email_dir=email_dir, extra_env={"TECHEX_WORKER_SLOW_EMAIL": "60"})
    wait_for(
        lambda: Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists(),
        proc,
        log,
        "the worker to claim the notification",
    )
    time.sleep(0.5)  # inside the slow send now
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_sent_at is None
    assert not email_dir.exists() or not any(email_dir.iterdir())

    # Within the lease (15 minutes here) the claim is respected: a live worker may still be sending.
    settings.NOTIFICATION_EMAIL_REPAIR_AFTER = 0
    assert requeue_lost_notification_emails.call_local() == 0

    proc = start_worker(
        email_dir=email_dir,
        extra_env={"TECHEX_WORKER_EMAIL_REPAIR_AFTER": "0", "TECHEX_WORKER_EMAIL_LEASE": "1"},
    )
    time.sleep(1.2)  # the lease lapses
    _run_periodic(requeue_lost_notification_emails, proc, log)
    assert "Queued 1 notification emails again" in log.read_text()
    wait_for(
        lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists(),
        proc,
        log,
        "the requeued email to be sent",
    )
    _run_periodic(requeue_lost_notification_emails, proc, log)
    assert log.read_text().count("notification emails again") == 1
    assert _result(send_notification_email(notification.pk), log) is False
    (message,) = list(email_dir.iterdir())
    assert user.email in message.read_text()
