"""Retries and email delivery through the REAL huey worker (``manage.py run_huey`` in a subprocess).

The test process queues work exactly as production code does (``enqueue_on_commit`` into a SQLite queue
file); the worker runs with ``exchange.core.tests.worker_settings`` pointed at the same queue file and
the same test database. Every wait is bounded and the worker is always stopped.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from exchange.core.models import AuditLog, Notification
from exchange.core.services import notify
from exchange.core.tasks import enqueue_on_commit

from .worker_tasks import ACTION, flaky_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TIMEOUT = 30


@pytest.fixture
def queue_file(tmp_path):
    """Point this process's huey at a real SQLite queue instead of running tasks immediately."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    if connection.vendor != "sqlite" and not os.environ.get("DATABASE_URL"):
        if os.environ.get("CI") == "true":
            pytest.fail("the worker test needs a database the worker process can open")
        pytest.skip("needs a database the worker process can open")
    path = tmp_path / "huey.sqlite3"
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(path))
    try:
        yield path
    finally:
        HUEY.storage.close()
        HUEY.immediate = True  # back to the in-memory immediate storage of the test settings


@pytest.fixture
def start_worker(queue_file, tmp_path):
    procs = []

    def start(*, email_dir: Path | None = None, extra_env: dict | None = None):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "exchange.core.tests.worker_settings",
            "TECHEX_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
            "TECHEX_WORKER_HUEY_PATH": str(queue_file),
        }
        if email_dir is not None:
            env["TECHEX_WORKER_EMAIL_DIR"] = str(email_dir)
        env.update(extra_env or {})
        log = (tmp_path / "worker.log").open("a")  # a restarted worker appends to the same log
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "1"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so we can stop all of it
        )
        procs.append((proc, log))
        return proc

    yield start

    for proc, log in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def wait_for(condition, proc, log_path: Path, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}) before {what}:\n{log_path.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {TIMEOUT}s waiting for {what}:\n{log_path.read_text()}")


def test_worker_retries_a_failing_task_until_it_succeeds(start_worker, queue_file, tmp_path):
    from huey.contrib.djhuey import HUEY

    attempts = tmp_path / "attempts.txt"
    token = uuid.uuid4().hex

    with transaction.atomic():
        enqueue_on_commit(flaky_task, str(attempts), 2, token)
        assert HUEY.pending_count() == 0  # nothing is queued before the commit
    assert HUEY.pending_count() == 1

    proc = start_worker()
    wait_for(
        lambda: AuditLog.objects.filter(action=ACTION, data__token=token).exists(),
        proc,
        tmp_path / "worker.log",
        "the task to succeed",
    )
    # Failed twice, retried (retry_delay=1 s through the worker's scheduler), succeeded on the third run,
    # and wrote its audit row into this test's database.
    assert attempts.read_text().splitlines() == ["attempt"] * 3
    assert AuditLog.objects.get(action=ACTION, data__token=token).data["attempts"] == 3
    log = (tmp_path / "worker.log").read_text()
    assert log.count("failing on purpose") >= 2


def test_worker_sends_a_notification_email_once(start_worker, make_user, tmp_path):
    email_dir = tmp_path / "mail"
    user = make_user(language="en")
    notification = notify(
        recipient=user,
        kind="membership_requested",
        context={"organization": "Viện A", "user": "B", "role": "member"},
    )
    proc = start_worker(email_dir=email_dir)
    wait_for(
        lambda: (
            Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()
            and email_dir.exists()
            and any(email_dir.iterdir())
        ),
        proc,
        tmp_path / "worker.log",
        "the email",
    )
    (message_file,) = list(email_dir.iterdir())
    content = message_file.read_text()
    assert user.email in content
    assert "asks to join Viện A" in content  # the English body
