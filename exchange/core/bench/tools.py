"""What the benchmarks share (`make bench-search`, `make bench-pages`, `make load`): the machine's load
average printed beside every figure, the bench tools of this virtual environment, and the production web
server on loopback (gunicorn with deploy/gunicorn.conf.py, DEBUG off, persistent connections)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def load_average() -> str:
    """``"1.20 / 0.90 / 0.80"`` (1, 5, 15 min): the machine is shared, so figures taken under load say so."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def bench_executable(name: str) -> str:
    """An executable of this virtual environment (gunicorn, locust), else one on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise CommandError(f"{name} is not installed: `pip install -e '.[bench]'` (the make target does).")
    return found


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
