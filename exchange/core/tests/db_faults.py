"""Inject a real database error into the code under test (fault tests of issue #11).

``fail_on(table, nth=3)`` installs a ``connection.execute_wrapper`` that lets every query through
except the ``nth`` INSERT into ``table``, which fails with ``django.db.OperationalError`` - what Django hands
the code when the server drops the connection or a lock wait times out - on SQLite and PostgreSQL alike.
(Wrappers run outside Django's own wrapping of driver errors, so the Django class is raised directly.)
"""

from __future__ import annotations

import contextlib
import re

from django.db import OperationalError, connection


class _Failer:
    def __init__(self, table: str, nth: int, verb: str):
        self.pattern = re.compile(rf'^\s*{verb}\s+(INTO\s+)?"?{re.escape(table)}"?[\s(]', re.IGNORECASE)
        self.nth = nth
        self.seen = 0
        self.fired = False

    def __call__(self, execute, sql, params, many, context):
        if not self.fired and self.pattern.match(sql):
            self.seen += 1
            if self.seen == self.nth:
                self.fired = True
                raise OperationalError(f"injected fault on {sql.split()[0]} #{self.nth}")
        return execute(sql, params, many, context)


@contextlib.contextmanager
def fail_on(table: str, *, nth: int = 1, verb: str = "INSERT"):
    """Within the block, the ``nth`` ``verb`` (INSERT, UPDATE, DELETE) on ``table`` fails once."""
    failer = _Failer(table, nth, verb)
    with connection.execute_wrapper(failer):
        yield failer
    assert failer.fired, f"the fault on {table} never fired ({failer.seen} matching queries)"
