"""Test-only email backend for the worker fault test: the file backend, but each send waits
``TECHEX_WORKER_SLOW_EMAIL`` seconds first, so the worker can be killed after it claimed a notification
and before the mail went out (the claim and the send are otherwise microseconds apart)."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("TECHEX_WORKER_SLOW_EMAIL", "0")))
        return super().send_messages(email_messages)
