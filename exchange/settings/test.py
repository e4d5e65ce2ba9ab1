"""Settings for the test suite: tasks run at once unless a test starts the real worker."""

import atexit
import os
import shutil
import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each process that loads these settings (pytest, each xdist worker, a server or worker a test starts)
# gets a folder of its own, made inside its parent's when there is one (TECHEX_TEST_TMP_PARENT, set by
# the first), so removing the top folder at the end removes what killed children could not.
_PARENT = os.environ.get("TECHEX_TEST_TMP_PARENT")
_PARENT = _PARENT if _PARENT and os.path.isdir(_PARENT) else None
_TMP = Path(tempfile.mkdtemp(prefix="techex-test-", dir=_PARENT))  # noqa: F405
if _PARENT is None:
    os.environ["TECHEX_TEST_TMP_PARENT"] = str(_TMP)
_TMP_OWNER = os.getpid()


def _remove_tmp() -> None:
    """Remove this process's folder when it ends. A forked child (a gunicorn worker) inherits the hook
    but not the folder: only its maker removes it."""
    if os.getpid() == _TMP_OWNER:
        shutil.rmtree(_TMP, ignore_errors=True)


atexit.register(_remove_tmp)
#: The folder, for pytest's own clean-up (conftest.py): xdist workers end with os._exit, past atexit.
TEST_TMP_DIR = _TMP
MEDIA_ROOT = _TMP / "media"
PRIVATE_MEDIA_ROOT = _TMP / "private"
STORAGES = {**STORAGES}  # noqa: F405
STORAGES["private"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

if not os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_TMP / "test.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,  # noqa: F405
            "TEST": {"NAME": str(_TMP / "test-db.sqlite3")},
        }
    }

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "techex-test",
    "filename": str(_TMP / "huey.sqlite3"),
    "immediate": True,
}
ACCOUNT_RATE_LIMITS = False

STATIC_ROOT = _TMP / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
