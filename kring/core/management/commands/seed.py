from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kring.core import demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent), or with --cases N add N generated cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases", type=int, default=0, help="Add this many generated cases (for benchmarks)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")

    def handle(self, *args: Any, cases: int, seed: int, **options: Any) -> None:
        started = time.monotonic()
        if cases <= 0:
            loaded = demo.load_demo()
            self.stdout.write("Demo data loaded." if loaded else "Demo data already present.")
            return
        regions = demo.ensure_reference_data()
        demo.ensure_staff(regions)
        for done in demo.generate(cases, seed=seed):
            self.stdout.write(f"  {done:>8} / {cases} cases", ending="\r")
            self.stdout.flush()
        self.stdout.write(f"\nAdded {cases} cases in {time.monotonic() - started:.1f} s.")
