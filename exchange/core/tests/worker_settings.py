"""Settings for the background worker started by the ``worker`` tests (not for anything else).

Like the test settings, but the queue is real (not immediate) and both the queue file and the database
come from the environment, so the worker subprocess shares them with the test that started it:

    TECHEX_WORKER_DB_NAME    the test database: ``connection.settings_dict["NAME"]`` in the test
                             (a file path on SQLite, a database name on PostgreSQL)
    TECHEX_WORKER_HUEY_PATH  the huey SQLite queue file
    TECHEX_WORKER_EMAIL_DIR  optional: write emails as files there
    TECHEX_WORKER_SLOW_QUERIES  optional: seconds every query waits (``apps.CoreWorkerTestConfig``)
    TECHEX_WORKER_EMAIL_REPAIR_AFTER  optional: ``NOTIFICATION_EMAIL_REPAIR_AFTER`` in seconds
    TECHEX_WORKER_SLOW_EMAIL  optional: seconds each email send waits before writing its file
    TECHEX_WORKER_EMAIL_LEASE  optional: ``NOTIFICATION_EMAIL_LEASE`` in seconds
"""

import os

from exchange.settings.test import *  # noqa: F403
from exchange.settings.test import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "exchange.core.tests.apps.CoreWorkerTestConfig"]

DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TECHEX_WORKER_DB_NAME"]}}

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "techex-test",
    "filename": os.environ["TECHEX_WORKER_HUEY_PATH"],
    "immediate": False,
    # Poll fast so a test waits seconds, not the default up-to-10 s backoff; no periodic tasks.
    "consumer": {
        "workers": 1,
        "worker_type": "thread",
        "periodic": False,
        "initial_delay": 0.1,
        "backoff": 1.0,
        "max_delay": 0.2,
        "scheduler_interval": 1,
    },
}

# Emails sent by the worker land as files the test can read (locmem would stay inside the worker).
if os.environ.get("TECHEX_WORKER_EMAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["TECHEX_WORKER_EMAIL_DIR"]
    if os.environ.get("TECHEX_WORKER_SLOW_EMAIL"):  # seconds each send waits first (slow_email.py)
        EMAIL_BACKEND = "exchange.core.tests.slow_email.SlowFileBackend"

if os.environ.get("TECHEX_WORKER_EMAIL_LEASE"):
    NOTIFICATION_EMAIL_LEASE = int(os.environ["TECHEX_WORKER_EMAIL_LEASE"])

if os.environ.get("TECHEX_WORKER_EMAIL_REPAIR_AFTER"):
    NOTIFICATION_EMAIL_REPAIR_AFTER = int(os.environ["TECHEX_WORKER_EMAIL_REPAIR_AFTER"])
