"""The load test's switch (``BENCHMARK_NO_RATE_LIMITS``, ``make load``): off by default, lifts the rate
limits only when set, and production settings refuse to start with it. Settings are read at import, so
each case imports them in a fresh interpreter with its own environment."""

import os
import subprocess
import sys

from django.conf import settings

PRINT_LIMITS = (
    "import json, exchange.settings.{module} as s; print(json.dumps([s.RATE_LIMITS, s.ACCOUNT_RATE_LIMITS]))"
)


def _run(module: str, **env):
    base = {k: v for k, v in os.environ.items() if k != "BENCHMARK_NO_RATE_LIMITS"}
    return subprocess.run(
        [sys.executable, "-c", PRINT_LIMITS.format(module=module)],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rate_limits_are_on_by_default_and_lifted_only_by_the_switch():
    import json

    default = _run("base")
    assert default.returncode == 0, default.stderr
    limits, account = json.loads(default.stdout)
    assert limits == {"deal_inquiry": "10/3600", "deal_message": "30/600"} and account
    lifted = _run("base", BENCHMARK_NO_RATE_LIMITS="1")
    limits, account = json.loads(lifted.stdout)
    assert all(spec.startswith("0/") for spec in limits.values()) and account is False


def test_production_refuses_the_switch():
    done = _run(
        "production",
        BENCHMARK_NO_RATE_LIMITS="1",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="san.example.vn",
        DATABASE_URL="postgres://u@127.0.0.1:1/x",
    )
    assert done.returncode != 0
    assert "BENCHMARK_NO_RATE_LIMITS lifts the rate limits" in done.stderr
