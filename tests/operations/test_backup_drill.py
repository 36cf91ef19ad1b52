"""The backup drill (issue 16, point 5), on the database the suite runs on (CI: SQLite and
PostgreSQL): make data, back up, change and delete things, restore into an empty database,
and find everything as it was, the access log verifying."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from kring.audit import log as access_log
from kring.audit.log import seal
from kring.audit.models import AccessLog, ChainHead
from kring.cases.models import Case
from kring.circle.models import Participant
from kring.messaging.models import OutboxMessage
from kring.operations import backup as backups
from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.operations, pytest.mark.django_db(transaction=True)]

MODELS: list[Any] = [Case, Participant, AccessLog, OutboxMessage]


def digest() -> dict[str, list]:
    """Every row of the tables the drill touches, in a form two databases can compare."""
    return {
        model._meta.label: json.loads(
            json.dumps(list(model.objects.order_by("pk").values_list()), default=str)
        )
        for model in MODELS
    }


def digest_of(database_url: str) -> dict[str, list]:
    code = (
        "import django, json; django.setup(); "
        "from tests.operations.test_backup_drill import digest; "
        "print(json.dumps(digest(), default=str))"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "kring.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def empty_target(tmp_path: Path) -> str:
    """A new, empty database next to the test database, as a DATABASE_URL."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    if connection.vendor != "postgresql":
        skip_or_fail(f"no backup for {connection.vendor}")
    import psycopg

    name = f"{config['NAME']}_restore"
    with psycopg.connect(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    return (
        f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:"
        f"{config['PORT'] or 5432}/{name}"
    )


def _make_data(world) -> None:
    for name in ("Anna de Boer", "Bram Peters", "Chris Vos"):
        Participant.objects.create(case=world.case, name=name, category="family")
    for participant in world.case.participants.all():
        access_log.record(
            None,
            action="view",
            object_type="participant",
            object_id=participant.pk,
            case_reference=world.case.reference,
            user=world.coordinator,
        )
    OutboxMessage.objects.create(
        purpose="drill", to_addresses=["a@example.org"], subject="Drill", body_text="Body"
    )


def _change_and_delete(world) -> None:
    Case.objects.filter(pk=world.case.pk).update(place="Somewhere else")
    Participant.objects.filter(case=world.case, name="Bram Peters").delete()
    OutboxMessage.objects.all().delete()


@pytest.mark.parametrize("key", ["", "a passphrase only the operator knows"])
def test_backup_change_restore_finds_everything_as_it_was(world, tmp_path, settings, key):
    settings.KRING_BACKUP_KEY = key
    _make_data(world)
    seal()  # as the worker does each round (and the backup before its copy)
    before = digest()
    assert len(before["audit.AccessLog"]) >= 3

    call_command("backup", output_dir=tmp_path / "backups")
    files = list((tmp_path / "backups").iterdir())
    (made,) = [p for p in files if not p.name.endswith((".sha256", ".audit-head.json"))]
    # The access log's head goes beside the copy (issue 17, point 3).
    (exported,) = [p for p in files if p.name.endswith(".audit-head.json")]
    assert json.loads(exported.read_text())["hash"] == ChainHead.objects.get().hash
    assert made.name.startswith("kring-")
    assert made.name.endswith(".enc") == bool(key)
    kind = "postgres" if connection.vendor == "postgresql" else "sqlite"
    if not key:  # the plain file is what the engine's own tools read
        head = made.read_bytes()[:16]
        assert head.startswith(b"PGDMP" if kind == "postgres" else b"SQLite format 3")
    else:
        assert b"Anna de Boer" not in made.read_bytes()

    _change_and_delete(world)
    assert digest() != before

    target = empty_target(tmp_path)
    out = subprocess.run(
        [sys.executable, "manage.py", "restore", str(made), "--database-url", target],
        cwd=settings.BASE_DIR,
        env={**os.environ, "KRING_BACKUP_KEY": key},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "The access log is intact" in out.stdout
    assert digest_of(target) == before

    # Restoring over data is refused: a restore goes into an empty database.
    again = subprocess.run(
        [sys.executable, "manage.py", "restore", str(made), "--database-url", target],
        cwd=settings.BASE_DIR,
        env={**os.environ, "KRING_BACKUP_KEY": key},
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode != 0
    assert "not empty" in again.stderr


def test_a_changed_backup_or_a_wrong_key_is_refused(world, tmp_path, settings):
    settings.KRING_BACKUP_KEY = "the right key"
    _make_data(world)
    made = backups.backup(tmp_path, settings.KRING_BACKUP_KEY)

    with pytest.raises(backups.BackupError, match="wrong key"):
        backups.decrypt(made, tmp_path / "out", "the wrong key")

    damaged = bytearray(made.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    made.write_bytes(bytes(damaged))
    settings.KRING_BACKUP_KEY = "the right key"
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(made), database_url=empty_target(tmp_path))
    # With the checksum made to match, the encryption still notices the change.
    backups.checksum_path(made).write_text(f"{backups.sha256(made)}  {made.name}\n")
    with pytest.raises(backups.BackupError, match="wrong key, or it was changed"):
        backups.decrypt(made, tmp_path / "out", "the right key")


def test_a_cut_off_encrypted_backup_is_refused(tmp_path):
    source = tmp_path / "plain"
    source.write_bytes(os.urandom(backups.CHUNK * 2 + 100))
    sealed = tmp_path / "sealed"
    backups.encrypt(source, sealed, "key")
    backups.decrypt(sealed, tmp_path / "back", "key")
    assert (tmp_path / "back").read_bytes() == source.read_bytes()
    data = sealed.read_bytes()
    last_part = 4 + backups.NONCE_BYTES + 100 + 16
    sealed.write_bytes(data[:-last_part])
    with pytest.raises(backups.BackupError, match="cut off"):
        backups.decrypt(sealed, tmp_path / "back", "key")
