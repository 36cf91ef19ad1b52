from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kring.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Put a backup back into an empty database (checks the checksum, decrypts with "
        "KRING_BACKUP_KEY), then run verify_audit_log on it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument(
            "--database-url",
            default=None,
            help="Restore into this database instead of DATABASE_URL (e.g. to try a backup).",
        )

    def handle(self, *args: Any, backup: Path, database_url: str | None, **options: Any) -> None:
        try:
            report = restore(
                backup, passphrase=settings.KRING_BACKUP_KEY, database_url=database_url
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {backup.name}. {report}")
