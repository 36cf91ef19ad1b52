"""``manage.py rebuild_figures``: compute the dashboard's summary anew from every case."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from kring.research import summary


class Command(BaseCommand):
    help = "Compute the dashboard's and the financiers' summary anew from every case."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        cases = summary.rebuild()
        self.stdout.write(
            f"Figures of {cases} cases summarised in {time.perf_counter() - started:.1f} s."
        )
