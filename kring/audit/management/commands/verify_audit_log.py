from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kring.audit.log import seal, unsealed, verify
from kring.audit.models import AccessLog


class Command(BaseCommand):
    help = "Check the access log's hash chain: finds an altered or removed row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            help="A head exported earlier (log stream, backup): it must still be in the chain.",
        )

        parser.add_argument(
            "--seal",
            action="store_true",
            help="Seal the rows waiting for the worker into the chain first (as it does).",
        )

    def handle(self, *args: Any, head: list[str], **options: Any) -> None:
        if options["seal"]:
            self.stdout.write(f"Sealed {seal()} row(s) into the chain.")
        problems = verify(exported=head)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The access log is not intact: {len(problems)} problem(s).")
        waiting = unsealed().count()
        self.stdout.write(
            f"The access log is intact ({AccessLog.objects.count() - waiting} rows sealed"
            + (
                f"; {waiting} recent row(s) waiting for the worker to seal them)."
                if waiting
                else ")."
            )
        )
