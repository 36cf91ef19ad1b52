"""Backups of Kring's database, and putting one back.

- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot; Kring goes on meanwhile);
  restored with ``pg_restore`` into an empty database.
- SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent
  state while Kring runs; never ``cp`` a live SQLite file.

Every backup gets a SHA-256 checksum file next to it (``sha256sum -c`` can check it too). With
KRING_BACKUP_KEY set, the backup is encrypted: AES-256-GCM in 1 MiB chunks, each bound to its
position and to whether it is the last, so a changed, reordered or cut-off file is refused.
``restore`` checks the checksum, decrypts, restores, and then runs ``verify_audit_log``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

MAGIC = b"KRINGBK1"
CHUNK = 1024 * 1024
SALT_BYTES = 16
NONCE_BYTES = 12


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


# --- Database connections -------------------------------------------------------------


def database_config(url: str | None = None) -> dict[str, Any]:
    if url is None:
        from django.db import connections

        return dict(connections["default"].settings_dict)
    return dict(dj_database_url.parse(url))


def is_postgres(config: dict[str, Any]) -> bool:
    return "postgresql" in config["ENGINE"]


def _pg_args(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", str(config["NAME"])]
    if config.get("HOST"):
        args += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        args += ["--port", str(config["PORT"])]
    if config.get("USER"):
        args += ["--username", str(config["USER"])]
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return args, env


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupError(f"{argv[0]} is not installed (Debian: postgresql-client).")
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments from the settings
        [tool, *argv[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {result.stderr.strip()[-2000:]}")


# --- Encryption ------------------------------------------------------------------------


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def _chunks(path: Path) -> Iterator[tuple[bytes, bool]]:
    with path.open("rb") as source:
        current = source.read(CHUNK)
        while True:
            following = source.read(CHUNK)
            yield current, not following
            if not following:
                return
            current = following


def encrypt(source: Path, target: Path, passphrase: str) -> None:
    salt = secrets.token_bytes(SALT_BYTES)
    aead = AESGCM(_key(passphrase, salt))
    with target.open("wb") as out:
        out.write(MAGIC + salt)
        for index, (chunk, last) in enumerate(_chunks(source)):
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = aead.encrypt(nonce, chunk, struct.pack(">Q?", index, last))
            out.write(struct.pack(">I", len(sealed)) + nonce + sealed)


def decrypt(source: Path, target: Path, passphrase: str) -> None:
    with source.open("rb") as data, target.open("wb") as out:
        head = data.read(len(MAGIC) + SALT_BYTES)
        if head[: len(MAGIC)] != MAGIC:
            raise BackupError("This is not an encrypted Kring backup.")
        aead = AESGCM(_key(passphrase, head[len(MAGIC) :]))
        index, finished = 0, False
        while size_bytes := data.read(4):
            if finished:
                raise BackupError("The backup has data after its last part.")
            (size,) = struct.unpack(">I", size_bytes)
            nonce, sealed = data.read(NONCE_BYTES), data.read(size)
            for last in (False, True):
                try:
                    out.write(aead.decrypt(nonce, sealed, struct.pack(">Q?", index, last)))
                except InvalidTag:
                    continue
                finished = last
                break
            else:
                raise BackupError("The backup cannot be decrypted: wrong key, or it was changed.")
            index += 1
        if not finished:
            raise BackupError("The backup is cut off: its last part is missing.")


# --- Checksums -------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def check(path: Path) -> None:
    sums = checksum_path(path)
    if not sums.exists():
        raise BackupError(f"No checksum file {sums.name} next to the backup.")
    expected = sums.read_text().split()[0]
    if sha256(path) != expected:
        raise BackupError("The backup does not match its checksum: it was changed or damaged.")


# --- Backup ----------------------------------------------------------------------------


def backup(directory: Path, passphrase: str = "") -> Path:
    config = database_config()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = "pgdump" if is_postgres(config) else "sqlite3"
    final = directory / f"kring-{stamp}.{suffix}"
    # The access log's rows that requests inserted since the worker's last round go into the
    # chain first, so that the copy's chain covers all of them.
    from kring.audit.log import seal

    seal()
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        plain = Path(scratch) / final.name
        if is_postgres(config):
            args, env = _pg_args(config)
            _run(["pg_dump", "--format=custom", "--file", str(plain), *args], env)
        else:
            source = sqlite3.connect(str(config["NAME"]))
            target = sqlite3.connect(str(plain))
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
        if passphrase:
            final = final.with_name(final.name + ".enc")
            encrypt(plain, final, passphrase)
        else:
            plain.replace(final)
    os.chmod(final, 0o600)
    checksum_path(final).write_text(f"{sha256(final)}  {final.name}\n")
    # The access log's head beside the copy (and in the log stream): kept apart from the
    # database, it shows later whether the chain was shortened or rewritten
    # (verify_audit_log --head).
    from kring.audit.log import export_head

    final.with_name(final.name + ".audit-head.json").write_text(json.dumps(export_head()) + "\n")
    return final


# --- Restore ---------------------------------------------------------------------------


def _is_empty(config: dict[str, Any]) -> bool:
    if is_postgres(config):
        import psycopg

        with psycopg.connect(
            dbname=config["NAME"],
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
        ) as pg:
            row = pg.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
            return row is not None and row[0] == 0
    path = Path(str(config["NAME"]))
    if not path.exists():
        return True
    lite = sqlite3.connect(str(path))
    try:
        row = lite.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return row is not None and row[0] == 0
    finally:
        lite.close()


def restore(path: Path, *, passphrase: str = "", database_url: str | None = None) -> str:
    """Put a backup back into an empty database; return verify_audit_log's report."""
    check(path)
    config = database_config(database_url)
    wanted = "pgdump" if is_postgres(config) else "sqlite3"
    if f".{wanted}" not in path.name:
        raise BackupError(f"This backup is not for this database (expected a .{wanted} file).")
    if not _is_empty(config):
        raise BackupError(
            "The database is not empty: restore into a new, empty database "
            "(and point DATABASE_URL at it)."
        )
    with tempfile.TemporaryDirectory() as scratch:
        plain = path
        if path.name.endswith(".enc"):
            if not passphrase:
                raise BackupError("The backup is encrypted: set KRING_BACKUP_KEY.")
            plain = Path(scratch) / path.name.removesuffix(".enc")
            decrypt(path, plain, passphrase)
        if is_postgres(config):
            args, env = _pg_args(config)
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *args,
                    str(plain),
                ],
                env,
            )
        else:
            target_path = Path(str(config["NAME"]))
            target_path.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(str(plain))
            target = sqlite3.connect(str(target_path))
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
                source.close()
    return verify_restored(database_url)


def verify_restored(database_url: str | None) -> str:
    """Run verify_audit_log against the restored database, in a process of its own."""
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    result = subprocess.run(  # noqa: S603 - this interpreter and manage.py
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "verify_audit_log"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "Restored, but the access log does not verify: "
            + (result.stderr or result.stdout).strip()[-2000:]
        )
    return result.stdout.strip()
