from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kring.privacy import retention


class Command(BaseCommand):
    help = (
        "Carry out the retention periods now: anonymise finished cases past their period and "
        "delete old messages and personal links (the worker does this once a day)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due, and change nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        now = timezone.now()
        if dry_run:
            found = retention.due(now)
            for kind in (retention.DECLINED, retention.CASES):
                for reference, status, changed in found[kind].values_list(
                    "reference", "status", "status_changed_at"
                ):
                    self.stdout.write(
                        f"would anonymise {reference} ({status} since {changed:%Y-%m-%d})"
                    )
            counts = {kind: found[kind].count() for kind in retention.KINDS}
            self.stdout.write(_summary(counts, done=False) + " Nothing was changed (--dry-run).")
            return
        counts = retention.run_daily(now, force=True)
        self.stdout.write(_summary(counts, done=True))


def _summary(counts: dict[str, int], *, done: bool) -> str:
    anonymised, deleted = ("anonymised", "deleted") if done else ("to anonymise", "to delete")
    return (
        f"{counts.get(retention.DECLINED, 0)} declined or withdrawn request(s) and "
        f"{counts.get(retention.CASES, 0)} finished case(s) {anonymised}; "
        f"{counts.get(retention.MESSAGES, 0)} message(s) and "
        f"{counts.get(retention.LINKS, 0)} personal link(s) {deleted}."
    )
