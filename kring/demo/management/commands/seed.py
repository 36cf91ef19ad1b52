from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from kring.demo import bulk, personas, stories


class Command(BaseCommand):
    help = "Load the demo data (idempotent), or with --cases N add N generated cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases", type=int, default=0, help="Add this many generated cases (for benchmarks)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument("--batch", type=int, default=5000, help="Cases per transaction.")

    def handle(self, *args: Any, cases: int, seed: int, batch: int, **options: Any) -> None:
        started = time.monotonic()
        if cases <= 0:
            loaded = stories.load_demo()
            self.stdout.write("Demo data loaded." if loaded else "Demo data already present.")
            return
        regions = personas.ensure_reference_data()
        personas.ensure_staff(regions)
        rows: Counter[str] = Counter()
        for done, written in bulk.seed(cases, seed=seed, batch=batch):
            rows.update(written)
            self.stdout.write(f"  {done:>8} / {cases} cases", ending="\r")
            self.stdout.flush()
        seconds = time.monotonic() - started
        total = sum(rows.values())
        self.stdout.write(
            f"\nAdded {cases} cases ({total:,} rows) in {seconds:.1f} s "
            f"({total / max(seconds, 1e-9):,.0f} rows/s)."
        )
        # The generated rows are bulk-inserted, without the signals that keep the dashboard's
        # summary up to date: it is computed anew from every case.
        summarised = time.monotonic()
        from kring.research import summary

        summary.rebuild()
        self.stdout.write(f"Dashboard summary rebuilt in {time.monotonic() - summarised:.1f} s.")
        # The status counts' triggers saw every case; their changes folded, as the worker
        # does every round.
        from kring.cases import tally
        from kring.cases.models import StatusCount

        tally.compact()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Folding left a dead row for each case's +1; vacuumed now, as autovacuum would in
            # a while (a start page read 45,000 dead index entries for 75 counts: 3 ms).
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {StatusCount._meta.db_table}")
        if options["verbosity"] > 1:
            for table, count in rows.most_common():
                self.stdout.write(f"  {table:<32}{count:>12,}")
