"""Settings for the second exchange the two-instance tests start as a subprocess (nothing else).

Like the test settings, with the database file, var dir and origin from the environment:
SQLITE_PATH, TECHEX_VAR_DIR, EXCHANGE_ORIGIN (read by base), FEDERATION_PRIVATE_KEY.
"""

import os

from exchange.settings.test import *  # noqa: F403
from exchange.settings.test import DATABASES

DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["SQLITE_PATH"]}}
DATABASES["default"].pop("TEST", None)

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "techex-peer",
    "filename": os.path.join(os.environ["TECHEX_VAR_DIR"], "huey.sqlite3"),
    "immediate": True,
}
