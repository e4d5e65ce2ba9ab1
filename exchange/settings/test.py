"""Settings for the test suite: tasks run at once unless a test starts the real worker."""

import os
import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

_TMP = Path(tempfile.mkdtemp(prefix="techex-test-"))  # noqa: F405
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
