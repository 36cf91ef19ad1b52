"""The one builder of test data: model factories, and the functions that put a case in a given
phase with its circle, meeting, plan and follow-up. Tests build their data from these; a test
that needs a particular shape passes it as a parameter."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import factory
from django.utils import timezone

from kring.accounts.models import CoordinatorProfile, Municipality, PostcodeRange, Region, User
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    ConferenceQuestion,
    Funding,
    Status,
    Variant,
)
from kring.circle.models import Category, Participant
from kring.demo import generator
from kring.followup import services as follow_up_services
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.meetings.models import Attendance, CostItem, Meeting
from kring.plans import services as plan_services
from kring.plans.models import Agreement, Evaluation, OrganisationRequest, Plan, PlanVersion
from kring.research.signals import mark_cases

PASSWORD = "correct-horse-battery-staple"


def totp_secret(user: User) -> str:
    """The TOTP secret of ``user``'s second factor: each test user has one of their own, so two
    sign-ins in one 30-second step (by the same person in two tests) never meet a code already
    used, and no test waits for the next step."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return str(get_adapter().decrypt(authenticator.data["secret"]))


def totp_code(user: User, at: float | None = None) -> str:
    """The current one-time code of ``user``'s authenticator, as their app shows it."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(totp_secret(user), int(at or time.time()) // 30))


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Regio {n}")
    slug = factory.Sequence(lambda n: f"regio-{n}")


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Gemeente {n}")
    region = factory.SubFactory(RegionFactory)


class PostcodeRangeFactory(factory.django.DjangoModelFactory[PostcodeRange]):
    class Meta:
        model = PostcodeRange

    region = factory.SubFactory(RegionFactory)
    start = 1000
    end = 1999


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"medewerker{n}@kring.test")
    full_name = factory.Sequence(lambda n: f"Medewerker {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        """Staff have a second factor (pass ``second_factor=False`` for one who has not)."""
        if create and extracted is not False:
            import base64
            import secrets

            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(obj, base64.b32encode(secrets.token_bytes(20)).decode())


class CoordinatorProfileFactory(factory.django.DjangoModelFactory[CoordinatorProfile]):
    class Meta:
        model = CoordinatorProfile

    user = factory.SubFactory(UserFactory, is_coordinator=True)
    languages = factory.LazyFunction(lambda: ["nl"])


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    variant = Variant.NEIGHBOURHOOD
    region = factory.SubFactory(RegionFactory)
    place = factory.Sequence(lambda n: f"Bewoners Molenstraat {n}")
    postcode = "1011 AB"
    description = "Overlast van jongeren op het plein."
    requester_name = factory.Sequence(lambda n: f"Aanvrager {n}")
    requester_email = factory.Sequence(lambda n: f"aanvrager{n}@voorbeeld.test")
    requester_phone = "06-12345678"

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            CaseEvent.objects.create(
                case=obj, action="case.requested", to_status=Status.REQUESTED, at=timezone.now()
            )


def case_in_status(status: str, *, coordinator: User | None = None, **kwargs) -> Case:
    """A case placed directly in ``status`` (as the seed loads them), with its assignment."""
    case = CaseFactory(**kwargs)
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    if coordinator is not None:
        state = (
            Assignment.State.OFFERED
            if status == Status.COORDINATOR_ASSIGNED
            else Assignment.State.ENDED
            if status in ("follow_up", "closed", "stopped", "withdrawn")
            else Assignment.State.ACCEPTED
        )
        Assignment.objects.create(case=case, coordinator=coordinator, state=state)
    return case


# --- A case in a phase, with its circle, meeting, plan and follow-up -----------------------

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def at(day: str, hour: int = 10) -> dt.datetime:
    """``day`` (ISO) at ``hour`` o'clock, Kring's local time."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=AMSTERDAM)


def case_with_history(
    requested_at: dt.datetime,
    steps: Sequence[tuple[str, dt.datetime]],
    *,
    coordinator: User | None = None,
    **fields: Any,
) -> Case:
    """A case requested at ``requested_at`` that went through ``steps`` (status, when) in order;
    it is in the last status."""
    status = steps[-1][0] if steps else Status.REQUESTED
    case = case_in_status(status, coordinator=coordinator, requested_at=requested_at, **fields)
    CaseEvent.objects.filter(case=case).update(at=requested_at)
    previous: str = Status.REQUESTED
    for to_status, when in steps:
        CaseEvent.objects.create(
            case=case, action="status.changed", from_status=previous, to_status=to_status, at=when
        )
        previous = to_status
    return case


def add_person(case: Case, name: str, **fields: Any) -> Participant:
    """Someone in the circle of ``case`` (a resident unless ``category`` says otherwise)."""
    return Participant.objects.create(case=case, name=name, **{"category": "resident", **fields})


def add_people(case: Case, count: int, prefix: str, **fields: Any) -> list[Participant]:
    """``count`` residents named after ``prefix``, each with an email address and a phone."""
    return [
        add_person(
            case,
            f"{prefix} Deelnemer{i}",
            email=f"{prefix.lower()}{i}@voorbeeld.test",
            phone=f"06-5555000{i}",
            **fields,
        )
        for i in range(count)
    ]


def add_meeting(
    case: Case,
    starts_at: dt.datetime | None,
    *,
    attended: Iterable[tuple[Participant, tuple[bool, bool, bool]]] = (),
    **fields: Any,
) -> Meeting:
    """The meeting of ``case``; ``attended`` pairs a person with the parts they were at
    (information, private time, plan)."""
    meeting = Meeting.objects.create(case=case, starts_at=starts_at, **fields)
    for person, (information, private_time, plan) in attended:
        Attendance.objects.create(
            meeting=meeting,
            participant=person,
            information=information,
            private_time=private_time,
            plan=plan,
        )
    return meeting


def add_plan(
    case: Case,
    agreements: Sequence[str] = (),
    *,
    requests: Sequence[Mapping[str, str]] = (),
    evaluations: Sequence[dt.date] = (),
    versions: int = 0,
    **fields: Any,
) -> Plan:
    """The plan of ``case`` written straight into the tables (``make_plan`` goes through the
    services): its agreements in order, requests to organisations, evaluation moments and
    frozen versions."""
    plan = Plan.objects.create(case=case, **fields)
    for order, what in enumerate(agreements, start=1):
        Agreement.objects.create(plan=plan, what=what, order=order)
    for request in requests:
        OrganisationRequest.objects.create(plan=plan, **request)
    for on in evaluations:
        Evaluation.objects.create(plan=plan, on=on)
    for number in range(1, versions + 1):
        PlanVersion.objects.create(plan=plan, number=number, content={})
    return plan


def agreements_of(plan: Plan) -> list[Agreement]:
    return list(plan.agreements.order_by("order"))


def add_follow_up(case: Case, months: int, due_on: dt.date, **fields: Any) -> FollowUp:
    return FollowUp.objects.create(case=case, months=months, due_on=due_on, **fields)


def add_respondent(
    follow_up: FollowUp,
    participant: Participant | None,
    *,
    outcomes: Mapping[Agreement, str] | None = None,
    category: str | None = None,
    **answers: Any,
) -> Respondent:
    """A respondent of ``follow_up`` (in their category unless ``category`` is given), with
    their ``answers`` and an outcome per agreement."""
    respondent = Respondent.objects.create(
        follow_up=follow_up,
        participant=participant,
        category=category or (participant.category if participant else Category.RESIDENT),
        **answers,
    )
    for agreement, outcome in (outcomes or {}).items():
        AgreementOutcome.objects.create(respondent=respondent, agreement=agreement, outcome=outcome)
    return respondent


def add_follow_ups_and_costs() -> None:
    """Follow-up answers for every demo case with a distributed plan, and a cost item per
    funding, for the cases that have none yet (the demo generator makes neither)."""
    plans = Plan.objects.filter(
        case__events__to_status=Status.PLAN_DISTRIBUTED, case__follow_ups__isnull=True
    ).distinct()
    for plan in plans.prefetch_related("agreements", "case__participants"):
        follow_up = add_follow_up(plan.case, 3, dt.date(2026, 1, 1), state=FollowUp.State.CLOSED)
        answers = Respondent.objects.bulk_create(
            [
                Respondent(
                    follow_up=follow_up,
                    participant=person,
                    category=person.category,
                    answered_at=timezone.now(),
                    satisfaction=7 + i % 3,
                    better=3 + i % 3,
                )
                for i, person in enumerate(list(plan.case.participants.all())[:2])
            ]
        )
        AgreementOutcome.objects.bulk_create(
            [
                AgreementOutcome(respondent=answer, agreement=agreement, outcome="done")
                for answer in answers
                for agreement in plan.agreements.all()
            ]
        )
    costs = CostItem.objects.bulk_create(
        [
            CostItem(case_id=funding.case_id, funding=funding, description="Zaal", amount=75)
            for funding in Funding.objects.filter(costs__isnull=True)
        ]
    )
    # Bulk inserts send no signals: the dashboard's summary is told of the costs here.
    mark_cases([cost.case_id for cost in costs])


def grow(count: int) -> None:
    """``count`` more cases from the demo generator, with follow-up answers and costs."""
    list(generator.generate(count))
    add_follow_ups_and_costs()


# --- A held conference with a finalised plan, through the services ---------------------------

QUESTION = "Hoe kan de overlast op het plein stoppen?"
ANSWER = "We spreken elkaar aan en maken het plein samen weer prettig."
CONTINGENCY = (
    "Als iets niet lukt, belt Anna de buurtregisseur en komen we binnen twee weken bijeen."
)
MONITOR_NOTE = "Vraagt elke maand aan iedereen hoe het gaat."


@dataclass
class Made:
    case: Case
    plan: Plan
    version: PlanVersion
    people: dict[str, Participant]
    meeting: Meeting | None
    agreements: list[dict[str, Any]] = field(default_factory=list)


PEOPLE = {
    # key: (name, email, willingness, category, organisation, language)
    "anna": ("Anna de Boer", "anna@voorbeeld.test", "yes", "resident", "", "nl"),
    "bram": ("Bram Smit", "bram@voorbeeld.test", "yes", "neighbour", "", "en"),
    "carla": ("Carla Dekker", "", "yes", "resident", "", "nl"),
    "dirk": ("Dirk Bos", "dirk@voorbeeld.test", "no", "resident", "", "nl"),
    "eva": ("Eva Mol", "eva@voorbeeld.test", "no", "resident", "", "nl"),
    "wijk": ("Wim Wijkagent", "wim@politie.test", "yes", "police", "Politie Utrecht", "nl"),
}


def agreement_data(number: int, people: dict[str, Participant]) -> dict[str, Any]:
    """A varied agreement: a date, a period or recurring; people, an organisation or both."""
    start = dt.date(2026, 12, 1) + dt.timedelta(days=number)
    kind = ("date", "period", "recurring")[number % 3]
    wijk = people.get("wijk", people["anna"])
    who = [[people["anna"]], [people["bram"], people["carla"]], [wijk], []][number % 4]
    return {
        "what": f"Afspraak {number}: de lantaarnpaal bij nummer {number} melden en nalopen",
        "who": who,
        "who_organisation": "Woningcorporatie Mitros" if not who or number % 5 == 0 else "",
        "where": f"Molenstraat {number}",
        "when": kind,
        "on": start if kind in ("date", "period") else None,
        "until": start + dt.timedelta(days=30) if kind == "period" else None,
        "recurrence": f"elke maandagavond (ronde {number})" if kind == "recurring" else "",
    }


def make_plan(
    user: User,
    case: Case,
    *,
    agreements: int = 5,
    with_meeting: bool = True,
    extra_people: int = 0,
    circle: Mapping[str, tuple[str, ...]] | None = None,
) -> Made:
    """A held conference with a finalised plan (version 1), built through the services."""
    people = {
        key: add_person(
            case,
            name,
            email=email,
            willingness=willing,
            category=category,
            organisation=organisation,
            language=language,
            postal_address="" if email else "Molenstraat 3\n3512 AB Utrecht",
        )
        for key, (name, email, willing, category, organisation, language) in (
            circle or PEOPLE
        ).items()
    }
    present = [people[key] for key in ("anna", "bram", "wijk") if key in people]
    for i in range(extra_people):
        people[f"extra{i}"] = add_person(
            case,
            f"Buur {i:03d}",
            email=f"buur{i}@voorbeeld.test" if i % 2 else "",
            postal_address="" if i % 2 else f"Molenstraat {i}\n3512 AB Utrecht",
            willingness="yes",
            category="neighbour",
        )
    question = ConferenceQuestion.objects.create(case=case, text=QUESTION, position=1)
    second = ConferenceQuestion.objects.create(
        case=case, text="Hoe houden we contact met elkaar?", position=2
    )
    meeting = None
    if with_meeting:
        meeting = add_meeting(
            case,
            dt.datetime(2026, 11, 30, 19, 30, tzinfo=AMSTERDAM),
            ends_at=dt.datetime(2026, 11, 30, 22, 0, tzinfo=AMSTERDAM),
            venue_name="Buurthuis De Pijp",
            venue_address="Molenstraat 12, Utrecht",
            # Carla came for the information only: she missed the plan's presentation.
            attended=[(person, (True, False, True)) for person in present]
            + [(people["carla"], (True, False, False))],
        )
        status = Status.HELD
    else:
        status = Status.PLAN_WITHOUT_MEETING
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    line = BottomLine.objects.create(
        case=case,
        text="Niemand wordt bedreigd of uitgescholden.",
        set_by="Jeugdbescherming, J. Kok",
        mandate="kinderbeschermingsmaatregel",
    )
    plan = plan_services.plan_for(case)
    plan_services.save_plan_text(
        plan,
        answers={question.pk: ANSWER, second.pk: "Met een groepsapp en elke maand koffie."},
        monitors=[people["anna"], people.get("wijk", people["anna"])],
        monitor_note=MONITOR_NOTE,
        contingency=CONTINGENCY,
        user=user,
        version=None,
    )
    data = [agreement_data(n, people) for n in range(1, agreements + 1)]
    for item in data:
        plan_services.add_item(plan, "agreement", item, user=user)
    plan_services.add_item(
        plan,
        "request",
        {
            "organisation": "Gemeente Utrecht",
            "request": "Repareer de verlichting op het plein.",
            "reply": "yes",
            "reply_note": "voor 1 februari",
        },
        user=user,
    )
    plan_services.add_item(
        plan,
        "request",
        {"organisation": "Politie Utrecht", "request": "Loop vaker langs in de avond."},
        user=user,
    )
    plan_services.add_item(
        plan,
        "evaluation",
        {"on": dt.date(2027, 1, 15), "description": "Iedereen in het buurthuis"},
        user=user,
    )
    plan_services.add_item(
        plan,
        "evaluation",
        {"on": dt.date(2027, 3, 1), "description": "Anna en Wim bellen iedereen"},
        user=user,
    )
    plan_services.set_endorsements(
        plan, [p for p in present if p is not people.get("bram")], user=user
    )
    plan_services.check_bottom_line(plan, line, met=True, reason="", user=user)
    version = plan_services.finalise(plan, user=user, version=None)
    plan.refresh_from_db()
    return Made(case, plan, version, people, meeting, data)


# --- A case in follow-up -------------------------------------------------------------------

# make_plan's meeting is on 30 November 2026: three months on is 28 February 2027.
MEETING_DAY = dt.date(2026, 11, 30)
DUE = dt.date(2027, 2, 28)

# PEOPLE but the police officer, everyone taking part; and Frank, who said no. Their research
# consent is in CONSENT.
FOLLOW_UP_CIRCLE = {
    key: (name, email, "yes", *rest)
    for key, (name, email, _willing, *rest) in PEOPLE.items()
    if key != "wijk"
} | {"frank": ("Frank Kok", "frank@voorbeeld.test", "no", "resident", "", "en")}
CONSENT: dict[str, bool | None] = {
    "anna": True,
    "bram": True,
    "carla": True,  # no email: a letter
    "dirk": None,  # never asked
    "eva": False,  # said no to the research
    "frank": True,  # but said no to taking part: never asked
}


def with_consent(made: Made, consent: dict[str, bool | None] | None = None) -> Made:
    for key, given in (consent or CONSENT).items():
        Participant.objects.filter(pk=made.people[key].pk).update(research_consent=given)
        made.people[key].research_consent = given
    return made


def ready_for_follow_up(world: Any, case: Case | None = None, **kwargs: Any) -> Made:
    """A case whose plan everyone has (status set directly), its moments planned, consent as
    in CONSENT."""
    made = with_consent(
        make_plan(world.coordinator, case or world.case, circle=FOLLOW_UP_CIRCLE, **kwargs)
    )
    Case.objects.filter(pk=made.case.pk).update(status=Status.PLAN_DISTRIBUTED)
    made.case.refresh_from_db()
    follow_up_services.schedule(made.case)
    return made


def respondents_of(made: Made) -> dict[str, Respondent]:
    by_person: dict[int | None, str] = {p.pk: key for key, p in made.people.items()}
    rows = Respondent.objects.filter(follow_up__case=made.case).select_related(
        "follow_up", "participant"
    )
    return {by_person[r.participant_id]: r for r in rows}
