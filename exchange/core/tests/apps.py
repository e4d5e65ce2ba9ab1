from django.apps import AppConfig


class CoreWorkerTestConfig(AppConfig):
    """Installed only by ``worker_settings`` so the worker subprocess registers the test-only tasks."""

    name = "exchange.core.tests"
    label = "core_worker_test"

    def ready(self):
        from . import worker_tasks  # noqa: F401
