"""Benchmark: how long invitations take to render and queue (email, .ics, personal link,
outbox row), for a circle of N and for a circle of 5, and their ratio. Everything happens in a
transaction that is rolled back: the database is left as it was."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from kring.accounts.models import Region
from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant, Willingness
from kring.meetings import invitations
from kring.meetings.models import Meeting


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time rendering and queueing the invitations for a circle of N (default 50)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--participants", type=int, default=50)
        parser.add_argument("--rounds", type=int, default=3)

    def handle(self, *args: Any, participants: int, rounds: int, **options: Any) -> None:
        small = min(self.measure(5) for _ in range(rounds))
        large = min(self.measure(participants) for _ in range(rounds))
        self.stdout.write(
            f"invitations for 5: {small * 1000:.0f} ms ({small / 5 * 1000:.1f} ms each)\n"
            f"invitations for {participants}: {large * 1000:.0f} ms "
            f"({large / participants * 1000:.1f} ms each)\n"
            f"ratio per invitation ({participants} vs 5): "
            f"{(large / participants) / (small / 5):.2f}"
        )

    def measure(self, size: int) -> float:
        elapsed = 0.0
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    region=Region.objects.first(),
                    place="Benchmark",
                    description="-",
                    requester_name="-",
                )
                Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
                ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
                Participant.objects.bulk_create(
                    Participant(
                        case=case,
                        name=f"Deelnemer {i}",
                        email=f"d{i}@voorbeeld.test" if i % 5 else "",
                        postal_address="Straat 1\n1000 AA Amsterdam",
                        category="resident",
                        willingness=Willingness.YES,
                    )
                    for i in range(size)
                )
                start = timezone.now() + dt.timedelta(days=14)
                meeting = Meeting.objects.create(
                    case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
                )
                began = time.perf_counter()
                invitations.send(meeting, user=None)
                elapsed = time.perf_counter() - began
                raise Rollback
        except Rollback:
            pass
        return elapsed
