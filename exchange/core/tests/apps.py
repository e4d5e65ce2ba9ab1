from django.apps import AppConfig


class CoreWorkerTestConfig(AppConfig):
    """Installed only by ``worker_settings`` so the worker subprocess registers the test-only tasks."""

    name = "exchange.core.tests"
    label = "core_worker_test"

    def ready(self):
        import os

        from . import worker_tasks  # noqa: F401

        if os.environ.get("TECHEX_WORKER_SLOW_QUERIES"):
            from django.db.backends.signals import connection_created

            connection_created.connect(_slow_down, weak=False)


def _slow_down(sender, connection, **kwargs):
    """``TECHEX_WORKER_SLOW_QUERIES=<seconds>``: every query of the worker waits that long first, so a fault
    test can kill the worker while a real task is in the middle of its work (test-only, worker only)."""
    import os
    import time

    delay = float(os.environ["TECHEX_WORKER_SLOW_QUERIES"])

    def slow(execute, sql, params, many, context):
        time.sleep(delay)
        return execute(sql, params, many, context)

    connection.execute_wrappers.append(slow)
