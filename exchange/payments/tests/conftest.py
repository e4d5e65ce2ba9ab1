"""Fixtures: a deal in execution with payment milestones (driven through the deals services), and a real
localstripe server for the session on a free port, used through the real ``stripe`` library."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from exchange.deals.tests.conftest import PASSWORD, TERMS, flow, nda, p  # noqa: F401 - fixtures
from exchange.payments import selectors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"localstripe is required in CI: {reason}")
    pytest.skip(f"localstripe unavailable: {reason}")


@pytest.fixture(scope="session")
def localstripe_server():
    """``localstripe --port N --from-scratch`` for the whole session; its base URL."""
    exe = Path(sys.executable).with_name("localstripe")
    if not exe.exists():
        _unavailable(f"{exe} not found")
    port = _free_port()
    proc = subprocess.Popen(
        [str(exe), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _unavailable("did not start")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


WEBHOOK_SECRET = "whsec_test_secret_payments"


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_SECRET_KEY = "sk_test_payments"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_payments"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def executing(flow):  # noqa: F811 - the deals fixture, imported above
    """A deal in execution: milestones 500,000,000 (upfront) and 200,000,000 (pilot) VND."""
    return flow.executing()


@pytest.fixture
def milestones(executing):
    return [m for m in executing.milestones.all() if m.kind == "payment"]


@pytest.fixture(autouse=True)
def _ledger_balanced_after_each_test(request):
    """Every scenario must leave the ledger balanced (checked only for tests that use the database)."""
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    ):
        try:
            check = selectors.ledger_check()
        except Exception:  # database already torn down
            return
        assert check["balanced"], check
