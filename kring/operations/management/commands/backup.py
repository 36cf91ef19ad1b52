from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kring.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent, timestamped backup of the database (pg_dump custom format, or "
        "SQLite's online backup) with a SHA-256 checksum; encrypted when KRING_BACKUP_KEY is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output-dir", type=Path, default=settings.KRING_BACKUP_DIR)

    def handle(self, *args: Any, output_dir: Path, **options: Any) -> None:
        try:
            path = backup(output_dir, settings.KRING_BACKUP_KEY)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(path))
