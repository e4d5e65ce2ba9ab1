"""`manage.py check --deploy` is clean with the production settings and the example environment of
deploy/env.example (HTTPS, HSTS, secure cookies, secret key, allowed hosts, the public address), and
refuses an unsafe one. Settings are read at import, so each case runs in its own process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _example_env() -> dict[str, str]:
    env = {}
    for line in (ROOT / "deploy" / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    return env


def _check(tmp_path, **overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(_example_env())
    env.update(
        DJANGO_SETTINGS_MODULE="exchange.settings.production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_example_production_environment_passes_check_deploy(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SITE_URL": "http://techex.example.gov.vn"}, "cms.E002"),
        ({"DJANGO_ALLOWED_HOSTS": "other.example.gov.vn"}, "cms.W001"),
    ],
)
def test_an_unsafe_production_environment_fails_check_deploy(tmp_path, overrides, code):
    result = _check(tmp_path, **overrides)
    assert result.returncode != 0
    assert code in result.stdout + result.stderr
