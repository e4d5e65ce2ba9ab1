"""A fresh clone has no ``var/`` (it is git-ignored): ``manage.py`` must still start (issue #11).

huey's SQLite queue file lives in ``var/`` and huey opens it while Django loads the apps, so before the
settings made the folder every command outside ``make run`` (which runs ``mkdir -p var``) died with
"unable to open database file". Run the real ``manage.py check`` in a subprocess with the local settings
and a ``TECHEX_VAR_DIR`` that does not exist yet.
"""

import os
import subprocess
import sys

from django.conf import settings


def test_manage_py_check_works_without_var_dir(tmp_path):
    var_dir = tmp_path / "fresh-clone" / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "HUEY_REDIS_URL", "HUEY_SQLITE_PATH", "SQLITE_PATH"}
    }
    env["TECHEX_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert (var_dir / "huey.sqlite3").exists()
