"""Backups: a backup restores to the same data (database and both media trees) on the database the suite
runs on — SQLite's online backup API here, pg_dump/pg_restore under scripts/pg-test.sh — and the
retention keeps the newest N complete backups only."""

import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from exchange.accounts.models import Organization
from exchange.accounts.tests.factories import OrganizationFactory
from exchange.core import backup
from exchange.core.models import AuditLog
from exchange.core.services import audit_record

TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (settings.MEDIA_ROOT / "images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "images" / "logo.png").write_bytes(b"\x89PNG public")
    settings.PRIVATE_MEDIA_ROOT.mkdir(parents=True)
    (settings.PRIVATE_MEDIA_ROOT / "hop-dong.pdf").write_bytes(b"%PDF confidential")
    return settings


@TRANSACTIONAL
def test_a_backup_restores_to_the_same_data(media, tmp_path):
    org = OrganizationFactory(name="Viện Công nghệ Hóa học")
    audit_record(action="test.before_backup", target=org)
    before = sorted(Organization.objects.values_list("pk", "name"))

    path = backup.backup_create(destination=tmp_path / "backups", keep=3)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    expected = {"database.sqlite3" if connection.vendor == "sqlite" else "database.dump"}
    assert set(manifest["files"]) == expected | {"media.tar.gz", "private.tar.gz"}

    # Everything changes after the backup …
    Organization.objects.filter(pk=org.pk).update(name="Đã sửa sau sao lưu")
    OrganizationFactory(name="Tạo sau sao lưu")
    AuditLog.objects.filter(action="test.before_backup").delete()
    (media.MEDIA_ROOT / "images" / "logo.png").write_bytes(b"overwritten")
    (media.PRIVATE_MEDIA_ROOT / "hop-dong.pdf").unlink()
    (media.PRIVATE_MEDIA_ROOT / "new.pdf").write_bytes(b"new")

    # … and the restore puts it all back.
    call_command("restore_backup", str(path), "--yes")
    assert sorted(Organization.objects.values_list("pk", "name")) == before
    assert AuditLog.objects.filter(action="test.before_backup", target_id=str(org.pk)).exists()
    assert (media.MEDIA_ROOT / "images" / "logo.png").read_bytes() == b"\x89PNG public"
    assert (media.PRIVATE_MEDIA_ROOT / "hop-dong.pdf").read_bytes() == b"%PDF confidential"
    assert not (media.PRIVATE_MEDIA_ROOT / "new.pdf").exists()


@TRANSACTIONAL
def test_retention_keeps_the_newest_complete_backups_and_damage_is_refused(media, tmp_path, capsys):
    destination = tmp_path / "backups"
    made = [backup.backup_create(destination=destination, keep=2) for _ in range(2)]
    call_command("backup", "--destination", str(destination), "--keep", "2")
    made.append(backup.backups_list(destination)[-1])
    assert made[-1].as_posix() == capsys.readouterr().out.strip()
    assert backup.backups_list(destination) == made[1:]
    assert not made[0].exists()
    assert not list(destination.glob(".*.partial"))

    path = made[-1]
    (path / "private.tar.gz").write_bytes(b"truncated")
    (media.MEDIA_ROOT / "images" / "logo.png").write_bytes(b"current")
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.backup_restore(source=path)
    assert (media.MEDIA_ROOT / "images" / "logo.png").read_bytes() == b"current"


def test_the_restore_needs_confirmation(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_backup", str(tmp_path))


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused_not_hung(media, tmp_path):
    """SQLite's backup API reads through the caller's connection and would wait forever on its own open
    transaction, so it is refused; pg_dump has its own connection and simply completes."""
    if connection.vendor != "sqlite":
        made = backup.backup_create(destination=tmp_path / "backups", keep=1)
        assert list((tmp_path / "backups").iterdir()) == [made]
        return
    with pytest.raises(backup.BackupError, match="transaction"):
        backup.backup_create(destination=tmp_path / "backups", keep=1)
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.django_db
def test_a_failed_backup_leaves_no_partial_directory(media, tmp_path, monkeypatch):
    def broken(alias, target_dir):
        (target_dir / "database.sqlite3").write_bytes(b"half")
        raise backup.BackupError("disk full")

    monkeypatch.setattr(backup, "_dump_database", broken)
    with pytest.raises(backup.BackupError):
        backup.backup_create(destination=tmp_path / "backups", keep=1)
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_nightly_task_is_scheduled_in_the_worker_at_half_past_two_in_vietnam():
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    from exchange.core.tasks import backup_nightly

    assert "backup_nightly" in [t.name for t in HUEY._registry.periodic_tasks]
    task = backup_nightly.task_class()
    assert task.validate_datetime(dt.datetime(2026, 12, 2, 19, 30))  # huey's clock is UTC: 02:30 at UTC+7
    assert not task.validate_datetime(dt.datetime(2026, 12, 2, 2, 30))
    assert settings.BACKUP_KEEP >= 1 and settings.BACKUP_ENABLED
