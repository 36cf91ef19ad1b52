"""Benchmark: the research exports (both datasets, CSV and XLSX) for N cases — rows per second
and peak memory (tracemalloc, during the export only) — and how both change from the smallest
to the largest N. The cases are made by the demo generator, with follow-up moments, respondents
and answers (a case in follow-up or closed without a moment gets one here), inside a
transaction that is rolled back: the database is left as it was.

    manage.py bench_export --cases 1000 10000 [--rounds 3] [--analyze]
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet
from django.test.utils import override_settings

from kring.cases.models import Case, CaseEvent, Status
from kring.circle.models import Participant, Willingness
from kring.demo import bulk
from kring.demo import personas as demo
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.followup.study import study_ids
from kring.plans.models import Agreement
from kring.research import exports
from kring.research.dataset import DATASETS, Cell, Dataset

FORMATS = ("csv", "xlsx")


class Rollback(Exception):
    pass


@dataclass
class Result:
    cases: int
    dataset: str
    fmt: str
    rows: int
    size: int
    seconds: float
    peak: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class Command(BaseCommand):
    help = "Time the research exports for N cases (default 1000 and 10000) and their memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, nargs="+", default=[1000, 10000])
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--rounds", type=int, default=3, help="timed runs per export; the fastest counts"
        )
        parser.add_argument(
            "--analyze",
            action="store_true",
            help="PostgreSQL: refresh the planner's statistics after generating, as autovacuum "
            "would after a load (otherwise it plans with those of the database before)",
        )

    def handle(
        self,
        *args: Any,
        cases: list[int],
        seed: int,
        rounds: int,
        analyze: bool,
        **options: Any,
    ) -> None:
        sizes = sorted(set(cases))
        self.analyzed = analyze and connection.vendor == "postgresql"
        results: list[Result] = []
        # DEBUG keeps every query in memory: that would be measured as the export's.
        with override_settings(DEBUG=False):
            try:
                with transaction.atomic():
                    regions = demo.ensure_reference_data()
                    demo.ensure_staff(regions)
                    before = Case.objects.aggregate(last=Max("pk"))["last"] or 0
                    made = 0
                    rng = random.Random(seed)  # noqa: S311 - test data
                    for size in sizes:
                        self.stderr.write(f"generating {size - made} cases …")
                        last = Case.objects.aggregate(last=Max("pk"))["last"] or 0
                        for _done in bulk.seed(size - made, seed=seed + size):
                            pass
                        made = size
                        added = Case.objects.filter(pk__gt=last)
                        follow_ups(added, rng)
                        if self.analyzed:
                            with connection.cursor() as cursor:
                                cursor.execute("ANALYZE")  # it counts this transaction's rows
                        scope = Case.objects.filter(pk__gt=before)
                        pks = list(scope.values_list("pk", flat=True))
                        for start in range(0, len(pks), 500):
                            study_ids(pks[start : start + 500])  # made once, as by the first export
                        for dataset in DATASETS.values():
                            for fmt in FORMATS:
                                self.stderr.write(f"measuring {size} {dataset.slug}.{fmt} …")
                                results.append(measure(size, dataset, fmt, scope, rounds))
                    raise Rollback
            except Rollback:
                pass
        self.report(results, sizes)

    def report(self, results: list[Result], sizes: list[int]) -> None:
        analyzed = " (statistics refreshed)" if self.analyzed else ""
        self.stdout.write(f"database: {connection.vendor}{analyzed}")
        self.stdout.write(
            f"{'cases':>7} {'dataset':<11} {'format':<6} {'rows':>7} {'bytes':>11} "
            f"{'seconds':>8} {'rows/s':>9} {'peak MiB':>9}"
        )
        for r in results:
            self.stdout.write(
                f"{r.cases:>7} {r.dataset:<11} {r.fmt:<6} {r.rows:>7} {r.size:>11} "
                f"{r.seconds:>8.2f} {r.rate:>9.0f} {r.peak / 2**20:>9.2f}"
            )
        if len(sizes) < 2:
            return
        small, large = sizes[0], sizes[-1]
        self.stdout.write(f"\nratios, {large} cases vs {small}:")
        by = {(r.cases, r.dataset, r.fmt): r for r in results}
        for dataset in DATASETS:
            for fmt in FORMATS:
                a, b = by[(small, dataset, fmt)], by[(large, dataset, fmt)]
                self.stdout.write(
                    f"  {dataset}.{fmt}: peak memory x{b.peak / a.peak:.2f}, "
                    f"rows/s x{(b.rate / a.rate) if a.rate else 0:.2f}"
                )


def run(dataset: Dataset, fmt: str, cases: QuerySet[Case]) -> tuple[int, int]:
    """Export once, as the view does; return the rows and bytes written."""
    counted = 0

    def rows() -> Any:
        nonlocal counted
        row: list[Cell]
        for row in dataset.rows(cases):
            counted += 1
            yield row

    if fmt == "csv":
        size = sum(len(piece) for piece in exports.csv_pieces(dataset.columns, rows()))
        return counted, size
    with tempfile.TemporaryFile(suffix=".xlsx") as spool:
        exports.write_xlsx(spool, dataset, rows())
        return counted, spool.tell()


def measure(
    size: int, dataset: Dataset, fmt: str, cases: QuerySet[Case], rounds: int = 3
) -> Result:
    # The memory first (this run also warms the caches), then the time without tracemalloc,
    # which slows Python down: the fastest of a few runs, the least disturbed by other work.
    tracemalloc.start()
    try:
        run(dataset, fmt, cases)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = float("inf")
    for _round in range(max(rounds, 1)):
        began = time.perf_counter()
        rows, written = run(dataset, fmt, cases)
        seconds = min(seconds, time.perf_counter() - began)
    return Result(size, dataset.slug, fmt, rows, written, seconds, peak)


def follow_ups(cases: QuerySet[Case], rng: random.Random) -> None:
    """A follow-up moment at three months for the cases in follow-up or closed that have none
    (the demo generator makes them for most), with a respondent for everyone who took part and
    answers from most of them."""
    chosen = cases.filter(status__in=[Status.FOLLOW_UP, Status.CLOSED], follow_ups__isnull=True)
    distributed = dict(
        CaseEvent.objects.filter(case__in=chosen, to_status=Status.PLAN_DISTRIBUTED)
        .values_list("case_id")
        .annotate(first=Min("at"))
    )
    statuses = dict(chosen.values_list("pk", "status"))
    moments = FollowUp.objects.bulk_create(
        [
            FollowUp(
                case_id=pk,
                months=3,
                due_on=(distributed[pk] + dt.timedelta(days=91)).date(),
                state=FollowUp.State.CLOSED
                if statuses[pk] == Status.CLOSED
                else FollowUp.State.OPEN,
                opened_at=distributed[pk] + dt.timedelta(days=91),
            )
            for pk in statuses
            if pk in distributed
        ],
        batch_size=2000,
    )
    moment_of = {moment.case_id: moment for moment in moments}
    agreements: dict[int, list[int]] = defaultdict(list)
    for pk, case_id in Agreement.objects.filter(plan__case__in=chosen).values_list(
        "pk", "plan__case_id"
    ):
        agreements[case_id].append(pk)
    respondents: list[Respondent] = []
    for case_id, category in Participant.objects.filter(
        case__in=chosen, willingness=Willingness.YES
    ).values_list("case_id", "category"):
        moment = moment_of.get(case_id)
        if moment is None or moment.opened_at is None:
            continue
        respondent = Respondent(follow_up=moment, category=category, invited_at=moment.opened_at)
        luck = rng.random()
        if luck < 0.7:
            respondent.answered_at = moment.opened_at + dt.timedelta(days=rng.randint(1, 20))
            respondent.answered_via = rng.choice(list(Respondent.Via))
            respondent.better = rng.choice([2, 3, 4, 4, 5])
            respondent.satisfaction = rng.randint(4, 10)
            respondent.recommend = rng.random() < 0.8
            respondent.new_conference = rng.choice(list(Respondent.Needed))
        elif luck < 0.8:
            respondent.declined_at = moment.opened_at + dt.timedelta(days=3)
        respondents.append(respondent)
    Respondent.objects.bulk_create(respondents, batch_size=2000)
    outcomes = list(AgreementOutcome.Outcome)
    AgreementOutcome.objects.bulk_create(
        (
            AgreementOutcome(
                respondent=respondent, agreement_id=agreement, outcome=rng.choice(outcomes)
            )
            for respondent in respondents
            if respondent.answered_at is not None
            for agreement in agreements[respondent.follow_up.case_id]
        ),
        batch_size=2000,
    )
