"""The production web server on loopback for the benchmarks (`make bench-pages`, `make load`): gunicorn
with deploy/gunicorn.conf.py, DEBUG off and persistent connections, started and waited for the same way."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def gunicorn_start(
    gunicorn: str, *, port: int, workers: int | None, work: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:``port``; its output goes to ``work/gunicorn.log``. The access log still
    goes through gunicorn's formatter, as in production, but to nowhere."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "exchange.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_CONN_MAX_AGE": "60",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    config = settings.BASE_DIR / "deploy" / "gunicorn.conf.py"
    log = open(work / "gunicorn.log", "wb")  # noqa: SIM115 - the server's lifetime
    return subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [gunicorn, "-c", str(config), "--access-logfile", os.devnull, "exchange.wsgi:application"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def gunicorn_wait_ready(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    """Poll ``url`` until it answers 200; fail at once if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn exited while starting (see gunicorn.log).")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise CommandError(f"gunicorn did not answer {url} within {timeout:.0f} s.")
