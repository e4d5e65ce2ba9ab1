"""Backups of the database and both media trees into timestamped directories, and restoring one.

A backup is one directory ``<BACKUP_DIR>/<YYYYmmdd-HHMMSS>/`` holding

* ``database.sqlite3`` — made with SQLite's online backup API, a consistent copy while the web process
  and the worker keep writing (copying the file could catch a half-written page or miss the WAL); or
  ``database.dump`` — ``pg_dump --format=custom`` on PostgreSQL (restored with ``pg_restore``);
* ``media.tar.gz`` (public uploads) and ``private.tar.gz`` (confidential documents, signed contracts);
* ``manifest.json`` — when, which engine, and the size and SHA-256 of every file, checked before a restore.

It is written under a hidden ``.partial`` name and renamed when complete, so a backup that failed half-way
is never taken for one (nor counted by the retention, which keeps the newest ``keep`` complete ones). The
search index is not backed up: it is derived data, rebuilt with ``search_reindex`` after a restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

NAME_FORMAT = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^\d{8}-\d{6}(-\d+)?$")
MEDIA_ARCHIVES = {"media.tar.gz": "MEDIA_ROOT", "private.tar.gz": "PRIVATE_MEDIA_ROOT"}


class BackupError(Exception):
    """A backup or restore that could not be made; nothing half-done is left behind as if complete."""


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"no backup method for the {vendor} database")
    return vendor


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])  # never on the command line (visible in ps)
    return args, env


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from ``PG_BINDIR`` if set, else the newest server's, else the PATH's."""
    candidates = []
    if getattr(settings, "PG_BINDIR", ""):
        candidates.append(Path(settings.PG_BINDIR) / name)
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: p.parts[-3])[::-1]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _dump_database(alias: str, target_dir: Path) -> str:
    connection = connections[alias]
    if _engine(alias) == "sqlite":
        if connection.in_atomic_block:
            # SQLite's backup cannot read through this connection's own open write transaction (it would
            # wait forever); the worker and the command run outside one.
            raise BackupError("cannot back up SQLite from inside a transaction")
        target = target_dir / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            with connection.wrap_database_errors:
                connection.connection.backup(destination)
        finally:
            destination.close()
        return target.name
    target = target_dir / "database.dump"
    args, env = _pg_env(connection.settings_dict)
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args]
    command.append(str(connection.settings_dict["NAME"]))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
    return target.name


def _archive(source: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as tar:
        if source.exists():
            tar.add(source, arcname=".")


def backup_create(
    *, destination: Path | None = None, keep: int | None = None, alias: str = "default"
) -> Path:
    """Make one complete backup directory and apply the retention; returns the new directory."""
    destination = Path(destination or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError("keep must be at least 1")
    destination.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    name = now.strftime(NAME_FORMAT)
    suffix = 1
    while (destination / name).exists():
        suffix += 1
        name = f"{now.strftime(NAME_FORMAT)}-{suffix}"
    partial = destination / f".{name}.partial"
    partial.mkdir()
    try:
        files = [_dump_database(alias, partial)]
        for archive, setting in MEDIA_ARCHIVES.items():
            _archive(Path(getattr(settings, setting)), partial / archive)
            files.append(archive)
        manifest = {
            "created_at": now.isoformat(),
            "engine": _engine(alias),
            "files": {
                f: {"bytes": (partial / f).stat().st_size, "sha256": _sha256(partial / f)} for f in files
            },
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        final = destination / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    backups_prune(destination=destination, keep=keep)
    return final


def backups_list(destination: Path | None = None) -> list[Path]:
    """Complete backups, oldest first (partial ones and other files are not backups)."""
    destination = Path(destination or settings.BACKUP_DIR)
    if not destination.is_dir():
        return []
    found = [
        p
        for p in destination.iterdir()
        if p.is_dir() and _NAME.match(p.name) and (p / "manifest.json").exists()
    ]
    return sorted(found, key=lambda p: p.name)


def backups_prune(*, destination: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups; returns what was deleted."""
    old = backups_list(destination)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


def _verify(source: Path) -> dict:
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup: {exc}") from exc
    for name, meta in manifest["files"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != meta["sha256"]:
            raise BackupError(f"{name} is missing or damaged (SHA-256 differs from the manifest)")
    return manifest


def _extract(archive: Path, target: Path) -> None:
    """Replace ``target``'s content with the archive's (tarfile's "data" filter refuses absolute paths,
    ``..`` and links leaving the tree, so a crafted archive cannot write elsewhere)."""
    staging = target.with_name(f".{target.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, filter="data")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def backup_restore(*, source: Path, alias: str = "default", media: bool = True) -> dict:
    """Put the database (and media) back as they were in backup ``source``. Stop the web and worker first:
    the database is overwritten. The manifest's checksums are verified before anything is touched."""
    source = Path(source)
    manifest = _verify(source)
    engine = _engine(alias)
    if manifest["engine"] != engine:
        raise BackupError(f"the backup is of a {manifest['engine']} database, this one is {engine}")
    connection = connections[alias]
    if engine == "sqlite":
        src = sqlite3.connect(source / "database.sqlite3")
        try:
            connection.ensure_connection()
            with connection.wrap_database_errors:
                src.backup(connection.connection)
        finally:
            src.close()
    else:
        connection.close()
        args, env = _pg_env(connection.settings_dict)
        command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        command += [*args, "--dbname", str(connection.settings_dict["NAME"]), str(source / "database.dump")]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
    if media:
        for archive, setting in MEDIA_ARCHIVES.items():
            _extract(source / archive, Path(getattr(settings, setting)))
    return manifest


def backup_age(destination: Path | None = None) -> dt.timedelta | None:
    """How old the newest complete backup is (for monitoring), or None when there is none."""
    backups = backups_list(destination)
    if not backups:
        return None
    created = json.loads((backups[-1] / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    return timezone.now() - dt.datetime.fromisoformat(created)
