from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kring.audit.log import verify
from kring.audit.models import AccessLog


class Command(BaseCommand):
    help = "Check the access log's hash chain: finds an altered or removed row."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The access log is not intact: {len(problems)} problem(s).")
        self.stdout.write(f"The access log is intact ({AccessLog.objects.count()} rows).")
