"""Anonymising, exporting and erasing give exactly what they gave before each app took over its
own part (issue 15, point 2): every row of every Kring table after anonymising a case that holds
something in every place, every person's export, and every row after erasing a participant and
the requester, compared with snapshots in ``tests/privacy/snapshots/``.

The snapshots were written on the code before the move, on SQLite: ids in columns are replaced
by their rank in their table, but ids inside JSON (history data, plan versions) and the order of
a JSON column's keys are the database's, and PostgreSQL's ``jsonb`` orders keys its own way. The
code compared is the same on both engines, so the comparison runs on SQLite only. To write them
again after an intended change: ``KRING_WRITE_SNAPSHOTS=1 pytest
tests/test_personal_data_snapshot.py``, and read the diff.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import uuid
from pathlib import Path
from typing import Any

import factory
import pytest
import time_machine
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from kring.audit.models import ErasureRequest
from kring.cases.models import CaseAction
from kring.circle.models import Participant, Willingness
from kring.followup import services as followup
from kring.followup.models import (
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.meetings.models import Attendance, Meeting
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Answer,
    BottomLineCheck,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)
from kring.plans.services import snapshot
from kring.privacy import retention, rights
from tests import factories
from tests.factories import UserFactory
from tests.privacy.test_retention import START, seeded_case

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="ids inside JSON and jsonb's key order differ"
)
DAY = dt.timedelta(days=1)
# Staff accounts hold password hashes and MFA secrets (salted, random): not what is compared.
SKIPPED_APPS = frozenset({"accounts"})
# A calendar of working days: reference data, tens of thousands of rows.
SKIPPED_MODELS = frozenset({"research.WorkingDayCount"})
# Random by design: compared as set or not set.
RANDOM_FIELDS = frozenset({"meetings.Meeting.uid"})


def full_case(world):
    """The retention test's seeded case, with a plan, its versions and deliveries, the meeting's
    attendance, an aftercare call and a follow-up with answers."""
    case = seeded_case(world)
    dirk, police, karin = Participant.objects.filter(case=case).order_by("pk")
    Participant.objects.filter(pk=karin.pk).update(
        email="karin.oosterhuis@voorbeeld.test", willingness=Willingness.YES
    )
    karin.refresh_from_db()
    for person in (dirk, karin):
        followup.set_consent(person, True, via=ConsentChange.Via.OWN_PAGE)
    meeting = Meeting.objects.get(case=case)
    Attendance.objects.create(meeting=meeting, participant=dirk, information=True, plan=True)
    Attendance.objects.create(meeting=meeting, participant=karin, private_time=True)
    plan = Plan.objects.create(
        case=case,
        outcome=Plan.Outcome.ACCEPTED,
        monitor_note="Karin Oosterhuis let op of Dirk komt.",
        contingency="Dirk Oosterhuis belt Karin Oosterhuis.",
        outcome_reason="Afgesloten omdat alles loopt.",
    )
    plan.monitors.add(karin)
    plan.extra_recipients.add(police)
    question = case.questions.get()
    Answer.objects.create(plan=plan, question=question, text="Dirk Oosterhuis kookt op maandag.")
    first = Agreement.objects.create(
        plan=plan,
        what="Dirk Oosterhuis kookt voor moeder.",
        where="Lindengracht 12",
        when=Agreement.When.RECURRING,
        recurrence="elke maandag",
        order=1,
    )
    first.who.add(dirk)
    second = Agreement.objects.create(
        plan=plan,
        what="Karin Oosterhuis belt de huisarts.",
        when=Agreement.When.DATE,
        on=dt.date(2026, 4, 1),
        order=2,
    )
    second.who.add(karin, dirk)
    OrganisationRequest.objects.create(
        plan=plan, organisation="Gemeente", request="Dagbesteding voor moeder Oosterhuis."
    )
    Evaluation.objects.create(plan=plan, on=dt.date(2026, 6, 1), description="Bij Karin thuis.")
    met, unmet = case.bottom_lines.get(), case.bottom_lines.create(text="Geen alcohol.")
    BottomLineCheck.objects.create(plan=plan, bottom_line=met, met=True, reason="")
    BottomLineCheck.objects.create(
        plan=plan, bottom_line=unmet, met=False, reason="Dirk drinkt nog, zegt Karin."
    )
    Endorsement.objects.create(plan=plan, participant=dirk, via=Endorsement.Via.OWN_PAGE)
    version = PlanVersion.objects.create(plan=plan, number=1, content=snapshot(plan))
    Delivery.objects.create(version=version, participant=dirk, channel=Delivery.Channel.EMAIL)
    Delivery.objects.create(
        version=version, participant=karin, channel=Delivery.Channel.LETTER, printed_at=START
    )
    AftercareCall.objects.create(
        case=case, on=dt.date(2026, 5, 1), how_it_goes="Karin zegt dat Dirk weer helpt."
    )
    follow_up = FollowUp.objects.create(
        case=case,
        months=3,
        due_on=timezone.localdate(),
        state=FollowUp.State.CLOSED,
        opened_at=timezone.now(),
    )
    answered = Respondent.objects.create(
        follow_up=follow_up,
        participant=dirk,
        category=dirk.category,
        code="ABCDEFGH",
        invited_at=timezone.now(),
        answered_at=timezone.now(),
        answered_via=Respondent.Via.OWN_PAGE,
        better=4,
        satisfaction=8,
        recommend=True,
        new_conference=Respondent.Needed.NO,
        remark="Karin Oosterhuis doet niets.",
    )
    AgreementOutcome.objects.create(
        respondent=answered, agreement=first, outcome=AgreementOutcome.Outcome.DONE
    )
    AgreementOutcome.objects.create(
        respondent=answered, agreement=second, outcome=AgreementOutcome.Outcome.PARTLY
    )
    ContactAttempt.objects.create(
        respondent=answered,
        kind=ContactAttempt.Kind.INVITATION,
        channel=ContactAttempt.Channel.EMAIL,
        outcome=ContactAttempt.Outcome.SENT,
    )
    Respondent.objects.create(
        follow_up=follow_up,
        participant=karin,
        category=karin.category,
        code="JKMNPQRS",
        invited_at=timezone.now(),
    )
    case.log(CaseAction.FOLLOW_UP_OPENED, user=None, data={"months": 3, "respondents": 2})
    return case


@pytest.fixture
def frozen(request):
    """The world and the full case, made at a fixed moment and with the factories' counters
    from zero (whatever ran before); the test runs a year later."""
    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
            value.reset_sequence(0, force=True)  # type: ignore[attr-defined]
    with time_machine.travel(START, tick=False):
        world = request.getfixturevalue("world")
        case = full_case(world)
    with time_machine.travel(START + 365 * DAY, tick=False):
        yield world, case


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every Kring table (many-to-many tables too), ids as ranks."""
    every = list(apps.get_models(include_auto_created=True))
    rank: dict[tuple[str, Any], str] = {}
    for model in every:
        pks = model._base_manager.order_by("pk").values_list("pk", flat=True)
        for number, pk in enumerate(pks):
            rank[(model._meta.label, pk)] = f"#{number}"
    dumped = {}
    for model in every:
        if model._meta.app_label in SKIPPED_APPS or model._meta.label in SKIPPED_MODELS:
            continue
        if not apps.get_app_config(model._meta.app_label).name.startswith("kring."):
            continue
        fields = model._meta.concrete_fields
        table = []
        for row in model._base_manager.order_by("pk").values(*[f.attname for f in fields]):
            plain = {}
            for field in fields:
                value = row[field.attname]
                if field.primary_key and not field.is_relation:
                    value = rank[(model._meta.label, value)]
                elif field.is_relation and value is not None:
                    assert isinstance(field, models.ForeignKey)
                    target = field.related_model._meta.label
                    value = target + rank.get((target, value), "?")
                elif f"{model._meta.label}.{field.name}" in RANDOM_FIELDS:
                    value = "(random)" if value else ""
                plain[field.attname] = _plain(value)
            table.append(plain)
        dumped[model._meta.label] = table
    return dumped


def compare(name: str, actual: Any) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(actual, indent=1, ensure_ascii=False, default=_plain) + "\n"
    if os.environ.get("KRING_WRITE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from {path}"


def exports(case) -> dict[str, Any]:
    """Every person's export; their ids as ranks in the circle."""
    people = list(Participant.objects.filter(case=case).order_by("pk"))
    done = {"requester": rights.export(case, ErasureRequest.Kind.REQUESTER, case.pk)}
    for number, person in enumerate(people):
        done[f"participant {number}"] = rights.export(
            case, ErasureRequest.Kind.PARTICIPANT, person.pk
        )
    return done


@pytest.mark.django_db
def test_anonymising_a_full_case_gives_the_same_rows(frozen):
    _world, case = frozen
    assert retention.anonymise_case(case, retention="case+2y")
    compare("anonymised", rows())


@pytest.mark.django_db
def test_every_export_is_the_same(frozen):
    _world, case = frozen
    compare("exports", exports(case))


@pytest.mark.django_db
def test_erasing_a_participant_and_the_requester_gives_the_same_rows(frozen):
    world, case = frozen
    colleague = UserFactory(full_name="Eva Collega", email="eva@kring.test")
    dirk = Participant.objects.filter(case=case).order_by("pk").first()
    assert dirk is not None
    for kind, pk in ((ErasureRequest.Kind.PARTICIPANT, dirk.pk), ("requester", case.pk)):
        case.log(CaseAction.PERSON_EXPORTED, user=world.manager, data={"kind": kind, "person": pk})
        erasure = rights.request_erasure(
            case, kind, pk, reason="Verzoek van betrokkene", user=world.manager
        )
        rights.confirm_erasure(erasure, user=colleague)
    compare("erased", rows())
