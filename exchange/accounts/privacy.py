"""The personal-data registry: how other apps take part in export and erasure.

Accounts must not import listings, deals or payments (dependencies point one way), yet a person's
export has to include what they hold there and their deletion has to reach it. Each app registers
small functions from its ``AppConfig.ready()``::

    from exchange.accounts.privacy import register_eraser, register_exporter

    register_exporter("listings", lambda user: [...])   # JSON-ready data (datetimes are fine)
    register_eraser("listings", lambda user: ...)       # called inside the deletion transaction

An eraser runs before the user row is anonymised, inside the same transaction: if it raises, nothing is
deleted. Content owned by an organisation should be kept (detached or attributed to nobody), not removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def _register(registry: dict, kind: str, name: str, fn):
    def add(func):
        existing = registry.get(name)
        if existing is not None and existing is not func:
            raise ValueError(f"A privacy {kind} named {name!r} is already registered")
        registry[name] = func
        return func

    return add if fn is None else add(fn)


def register_exporter(name: str, fn: Exporter | None = None):
    """Add ``fn(user) -> JSON-ready data`` under ``name`` in every data export; usable as a decorator."""
    return _register(_exporters, "exporter", name, fn)


def register_eraser(name: str, fn: Eraser | None = None):
    """Call ``fn(user)`` when the user deletes their account; usable as a decorator."""
    return _register(_erasers, "eraser", name, fn)


def unregister(name: str) -> None:
    """Remove both hooks named ``name`` (for tests)."""
    _exporters.pop(name, None)
    _erasers.pop(name, None)


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)


def erasers() -> dict[str, Eraser]:
    return dict(_erasers)
