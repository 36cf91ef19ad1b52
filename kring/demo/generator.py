"""The demo's case generator: believable cases in every state, each a Django model instance
with its questions, history, assignment, circle, meeting, plan and follow-up, inserted in bulk.

Cases here are *loaded*, like a fixture: their history is written as it would have been
recorded at the time, so the generator can place steps in the past and insert in bulk. Live
status changes always go through ``kring.cases.lifecycle.change_status``. For 100,000 cases,
use the bulk seeder (:mod:`kring.demo.bulk`), which writes plain rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kring.accounts.models import (
    CoordinatorProfile,
    Gender,
    Municipality,
    Organisation,
    Region,
    User,
)
from kring.cases.lifecycle import TRANSITIONS
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    Channel,
    ConferenceQuestion,
    Funding,
    ReferenceCounter,
    RequesterRelation,
    Status,
    Urgency,
    Variant,
    format_reference,
)
from kring.circle.models import ContactMoment, Participant, Willingness
from kring.demo.personas import ORGANISATIONS, POSTCODE_PREFIX
from kring.demo.vocabulary import (
    AGREEMENTS,
    ASSIGNMENT_STATE,
    BETTER_WEIGHTS,
    CIRCLE_CATEGORIES,
    DECLARATION,
    DESCRIPTIONS,
    FINANCIER_KINDS,
    FIRST_NAMES,
    INTAKE_NOTES,
    INVOLVED,
    LAST_NAMES,
    ORGANISATION_REQUESTS,
    OUTCOMES,
    PATHS,
    PLACES,
    PLAN_ACCEPTED,
    QUESTIONS,
    REASONS,
    REMARKS,
    SATISFACTION_WEIGHTS,
    STATUS_WEIGHTS,
    STREETS,
    WITH_CIRCLE,
    WITH_COORDINATOR,
    WITH_MEETING,
    WITH_PLAN,
)
from kring.followup.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.followup.services import add_months
from kring.meetings.models import Attendance, Meeting
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)
from kring.plans.services import snapshot


@dataclass
class Generated:
    """One generated case with what belongs to it, all unsaved."""

    case: Case
    events: list[CaseEvent]
    questions: list[str]
    assignment: Assignment | None
    funding: Funding | None = None
    bottom_line: BottomLine | None = None
    participants: list[Participant] = field(default_factory=list)
    meeting: Meeting | None = None
    plan: DemoPlan | None = None
    research: DemoResearch | None = None


@dataclass
class DemoPlan:
    """A case's attendance and plan; people are indices into ``Generated.participants``."""

    attendance: list[tuple[int, bool, bool, bool]]  # (person, information, private, plan)
    agreements: list[tuple[Agreement, list[int]]]
    requests: list[OrganisationRequest]
    evaluations: list[Evaluation]
    monitors: list[int]
    contingency: str
    finalised_at: dt.datetime | None
    aftercare_on: dt.date | None


@dataclass
class DemoResearch:
    """Research consent and the follow-up moment of a case whose plan went out, unsaved; the
    rows point at the case's unsaved participants and agreements until they are inserted."""

    consents: list[ConsentChange] = field(default_factory=list)
    follow_up: FollowUp | None = None
    respondents: list[Respondent] = field(default_factory=list)
    outcomes: list[AgreementOutcome] = field(default_factory=list)
    attempts: list[ContactAttempt] = field(default_factory=list)


@dataclass
class Generator:
    """Makes unsaved cases with their questions, history and assignments."""

    rng: random.Random
    regions: dict[str, Region]
    managers: dict[int, User]
    coordinators: dict[int, list[User]]
    municipalities: dict[int, list[Municipality]] = field(default_factory=dict)
    financiers: dict[str, list[Organisation]] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=timezone.now)
    # Its own stream, so that adding research data left the rest of the demo as it was.
    research_rng: random.Random = field(default_factory=random.Random)
    researcher: User | None = None

    def __post_init__(self) -> None:
        for municipality in Municipality.objects.all():
            self.municipalities.setdefault(municipality.region_id, []).append(municipality)
        for organisation in Organisation.objects.order_by("pk"):
            self.financiers.setdefault(organisation.kind, []).append(organisation)

    def case(
        self,
        status: Status,
        variant: Variant | None = None,
        region: Region | None = None,
        *,
        follow_up_due: bool = False,
    ) -> Generated:
        """One case in ``status``; ``follow_up_due`` places a case in follow-up past its
        moment at three months, so that its follow-up is open."""
        rng = self.rng
        variant = variant or rng.choice(list(Variant))
        region = region or rng.choice(list(self.regions.values()))
        municipality = rng.choice(self.municipalities[region.pk])
        path = PATHS[status]
        gaps = [rng.randint(1, 12) for _ in path[1:]]
        # Finished cases lie further back; open ones are recent.
        idle = (
            rng.randint(0, 400)
            if status in (Status.CLOSED, Status.DECLINED)
            else rng.randint(0, 20)
        )
        if status == Status.CLOSED:
            # Closed with its follow-up: a few weeks after the moment at three months.
            gaps[-1] = self.research_rng.randint(125, 150)
        elif status == Status.FOLLOW_UP:
            # Waiting for the moment at three months, or past it with answers coming in.
            idle += (
                115 + self.research_rng.randint(0, 10)
                if follow_up_due
                else self.research_rng.randint(20, 100)
            )
        requested_at = self.now - dt.timedelta(
            days=sum(gaps) + idle, hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        first, last, street = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(STREETS)
        relation = rng.choice(list(RequesterRelation))
        case = Case(
            status=status,
            variant=variant,
            urgency=rng.choices(list(Urgency), weights=[6, 3, 1])[0],
            region=region,
            municipality=municipality,
            place=rng.choice(PLACES[variant]).format(street=street, last=last, first=first),
            postcode=f"{POSTCODE_PREFIX.get(municipality.name, 1000) + rng.randint(0, 8)} "
            f"{rng.choice('ABCDEGHJKLMNPRST')}{rng.choice('ABCDEGHJKLMNPRST')}",
            description=rng.choice(DESCRIPTIONS[variant]),
            requester_name=f"{first} {last}",
            requester_email=f"{first.lower()}.{last.lower().replace(' ', '')}@"
            f"{rng.choice(['voorbeeld.nl', 'mail.example', 'post.example'])}",
            requester_phone=f"06-{rng.randint(10000000, 99999999)}",
            requester_relation=relation,
            requester_organisation=rng.choice([name for name, _kind in ORGANISATIONS])
            if relation == RequesterRelation.PROFESSIONAL
            else "",
            requested_at=requested_at,
            address=f"{street} {rng.randint(1, 140)}",
            involved=INVOLVED[variant],
            coordinator_language=rng.choice(["", "", "", "", "tr", "ar", "en"]),
            coordinator_gender=rng.choice(["", "", "", Gender.FEMALE, Gender.MALE]),
            channel=rng.choices(list(Channel), weights=[6, 3, 1, 1])[0],
            consent_at=requested_at,
        )
        manager = self.managers[region.pk]
        coordinator = (
            rng.choice(self.coordinators[region.pk]) if status in WITH_COORDINATOR else None
        )
        events = [CaseEvent(at=requested_at, action="case.requested", to_status=Status.REQUESTED)]
        at = requested_at
        for source, target, gap in zip(path[:-1], path[1:], gaps, strict=True):
            transition = TRANSITIONS[(source, target)]
            at += dt.timedelta(days=gap, hours=rng.randint(0, 6))
            by_coordinator = coordinator is not None and (
                "coordinator" in transition.roles and "regional_manager" not in transition.roles
            )
            events.append(
                CaseEvent(
                    at=at,
                    actor=coordinator if by_coordinator else manager,
                    action="status.changed",
                    from_status=source,
                    to_status=target,
                    reason=REASONS.get(target, ""),
                )
            )
        case.status_changed_at = at
        intake = next((e.at for e in events if e.to_status == Status.INTAKE), None)
        if intake is not None and status != Status.INTAKE:
            case.intake_on = timezone.localdate(intake)
            case.intake_notes = INTAKE_NOTES
        questions = rng.sample(
            QUESTIONS[variant], k=min(len(QUESTIONS[variant]), rng.choice([1, 1, 2]))
        )
        if status in (Status.REQUESTED, Status.DECLINED):
            questions = []
        assignment = None
        if coordinator is not None:
            offered = next(e.at for e in events if e.to_status == Status.COORDINATOR_ASSIGNED)
            state = ASSIGNMENT_STATE.get(status, Assignment.State.ACCEPTED)
            assignment = Assignment(
                coordinator=coordinator,
                state=state,
                offered_at=offered,
                accepted_at=offered + dt.timedelta(days=1)
                if state != Assignment.State.OFFERED
                else None,
                ended_at=at if state == Assignment.State.ENDED else None,
                asked_by=manager,
                declaration=DECLARATION if state != Assignment.State.OFFERED else "",
            )
        generated = Generated(case, events, questions, assignment)
        accepted = next((e.at for e in events if e.to_status == Status.ACCEPTED), None)
        if accepted is not None:
            kind = rng.choice(FINANCIER_KINDS[variant])
            generated.funding = Funding(
                organisation=rng.choice(self.financiers[kind]),
                contact_person=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                amount=rng.choice([1850, 2400, 2750, 3200]),
                reference=f"OPD-{rng.randint(1000, 9999)}",
                decision=Funding.Decision.PENDING
                if status == Status.ACCEPTED
                else Funding.Decision.APPROVED,
                decided_on=None
                if status == Status.ACCEPTED
                else timezone.localdate(accepted) + dt.timedelta(days=rng.randint(0, 3)),
            )
        if variant == Variant.FAMILY and questions and rng.random() < 0.4:
            generated.bottom_line = BottomLine(
                text="De kinderen blijven wonen waar ze nu wonen; contact met vader alleen "
                "onder begeleiding.",
                set_by="Jeugdbeschermer, Gecertificeerde Instelling",
                mandate="Ondertoezichtstelling (kinderrechter)",
                created_at=intake or requested_at,
            )
        if status in WITH_CIRCLE:
            self.circle(generated, status, variant, street, at)
        if generated.plan is not None and generated.plan.finalised_at is not None:
            generated.research = self.research(generated, status, manager, force=follow_up_due)
        return generated

    def circle(
        self, generated: Generated, status: Status, variant: Variant, street: str, at: dt.datetime
    ) -> None:
        """The circle of a case in or past preparation, and its meeting once scheduled."""
        rng = self.rng
        categories = CIRCLE_CATEGORIES[variant]
        size = rng.randint(len(categories), len(categories) + 5)
        for i in range(size):
            category = categories[i] if i < len(categories) else rng.choice(categories)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            by_email = rng.random() < 0.8
            if status == Status.PREPARATION:
                willing = rng.choice(
                    [Willingness.YES, Willingness.YES, Willingness.NOT_YET, Willingness.UNKNOWN]
                )
            elif status == Status.STOPPED:
                willing = rng.choice([Willingness.NO, Willingness.NO, Willingness.NOT_YET])
            else:
                willing = Willingness.YES if rng.random() < 0.88 else Willingness.NO
            generated.participants.append(
                Participant(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower().replace(' ', '')}@voorbeeld.nl"
                    if by_email
                    else "",
                    phone=f"06-{rng.randint(10000000, 99999999)}",
                    postal_address=""
                    if by_email
                    else f"{street} {rng.randint(1, 140)}\n{generated.case.postcode} "
                    f"{generated.case.municipality.name if generated.case.municipality else ''}",
                    category=category,
                    willingness=willing,
                    willingness_at=at if willing != Willingness.UNKNOWN else None,
                    informed_at=at if willing != Willingness.UNKNOWN else None,
                    diet=rng.choice(["", "", "", "vegetarian", "halal"]),
                    created_at=generated.case.requested_at,
                )
            )
        if status in WITH_MEETING:
            scheduled = next(
                (e.at for e in generated.events if e.to_status == Status.SCHEDULED), at
            )
            start = timezone.localtime(scheduled + dt.timedelta(days=rng.randint(7, 21))).replace(
                hour=19, minute=0, second=0, microsecond=0
            )
            held = next((e.at for e in generated.events if e.to_status == Status.HELD), None)
            if held is not None:
                # The meeting took place before it was recorded as held (and so before its
                # plan went out): the evening of that day, or the one before.
                start = timezone.localtime(held).replace(hour=19, minute=0, second=0, microsecond=0)
                if start > held:
                    start -= dt.timedelta(days=1)
                start = max(start, timezone.localtime(scheduled))
            generated.meeting = Meeting(
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
                venue_name=rng.choice(["Buurthuis De Ster", "Wijkcentrum Oost", "De Kas"]),
                venue_address=f"{street} {rng.randint(1, 140)}",
                catering="Soep, broodjes, koffie en thee",
                catering_for=size,
                uid=f"demo-{rng.getrandbits(64):016x}@kring",
            )
        if status in WITH_PLAN:
            generated.plan = self.plan(generated, status, variant, street)

    def plan(self, generated: Generated, status: Status, variant: Variant, street: str) -> DemoPlan:
        """Attendance, a plan of a few agreements, and — once it was accepted — its version,
        endorsements, copies and the aftercare call."""
        rng = self.rng
        people = generated.participants
        willing = [i for i, p in enumerate(people) if p.willingness == Willingness.YES]
        meeting = generated.meeting
        attendance = []
        if meeting is not None:
            for i in willing:
                private = not people[i].is_professional and rng.random() < 0.95
                attendance.append((i, rng.random() < 0.95, private, rng.random() < 0.92))
        at_plan = [i for i, *_parts, plan in attendance if plan] or willing
        day = timezone.localdate(meeting.starts_at) if meeting and meeting.starts_at else None
        day = day or timezone.localdate(generated.case.status_changed_at)
        agreements = []
        templates = AGREEMENTS[variant]
        for order, (text, often, where) in enumerate(
            rng.sample(templates, k=rng.randint(3, len(templates))), start=1
        ):
            who = rng.sample(at_plan, k=min(len(at_plan), 2 if "{b}" in text else 1))
            names = [people[i].name.split()[0] for i in who] + ["", ""]
            agreement = Agreement(
                what=text.format(a=names[0], b=names[1] or "de buren", street=street),
                where=where.format(street=street),
                order=order,
            )
            if often:
                agreement.when, agreement.recurrence = Agreement.When.RECURRING, often
            elif rng.random() < 0.5:
                agreement.when = Agreement.When.DATE
                agreement.on = day + dt.timedelta(days=rng.randint(7, 60))
            else:
                agreement.when = Agreement.When.PERIOD
                agreement.on = day + dt.timedelta(days=7)
                agreement.until = agreement.on + dt.timedelta(days=rng.choice([30, 60, 90]))
            agreements.append((agreement, who))
        requests = []
        if rng.random() < 0.5:
            organisation, text = rng.choice(ORGANISATION_REQUESTS)
            requests.append(
                OrganisationRequest(
                    organisation=organisation,
                    request=text,
                    order=1,
                    reply=rng.choice(["yes", "yes", "partly", ""]),
                )
            )
        evaluations = [
            Evaluation(
                on=day + dt.timedelta(weeks=weeks),
                description="Iedereen komt weer samen in het buurthuis.",
                order=n,
            )
            for n, weeks in enumerate([6, 12][: rng.randint(1, 2)], start=1)
        ]
        accepted = status in PLAN_ACCEPTED
        finalised_at = None
        if accepted:
            distributed = next(
                (e.at for e in generated.events if e.to_status == Status.PLAN_DISTRIBUTED),
                generated.case.status_changed_at,
            )
            finalised_at = distributed - dt.timedelta(days=2)
        aftercare_on = None
        if status in (Status.FOLLOW_UP, Status.CLOSED):
            aftercare_on = day + dt.timedelta(days=rng.randint(25, 35))
        return DemoPlan(
            attendance=attendance,
            agreements=agreements,
            requests=requests,
            evaluations=evaluations,
            monitors=at_plan[:1],
            contingency="Als een afspraak niet lukt, belt wie het merkt de bewaker van het "
            "plan; die roept iedereen binnen twee weken bij elkaar.",
            finalised_at=finalised_at,
            aftercare_on=aftercare_on,
        )

    def research(
        self, generated: Generated, status: Status, manager: User, *, force: bool = False
    ) -> DemoResearch:
        """Research consent for about 70 % of those who took part, and the follow-up moment at
        three months: planned while it is to come, open with answers coming in once its day
        has passed, closed with the case."""
        rng = self.research_rng
        demo = generated.plan
        assert demo is not None and demo.finalised_at is not None  # noqa: S101 - the caller's check
        people = generated.participants
        research = DemoResearch()
        latest = self.now - dt.timedelta(minutes=5)
        for person in people:
            if person.willingness != Willingness.YES:
                continue
            draw = rng.random()
            if draw >= 0.8:
                continue  # not answered the question on their own page
            person.research_consent = draw < 0.7
            at = min(demo.finalised_at + dt.timedelta(hours=rng.randint(2, 72)), latest)
            research.consents.append(
                ConsentChange(
                    participant=person,
                    given=person.research_consent,
                    at=at,
                    via=ConsentChange.Via.OWN_PAGE,
                )
            )
        if force and not any(p.research_consent for p in people):
            first = next((p for p in people if p.willingness == Willingness.YES), None)
            if first is not None:
                first.research_consent = True
                research.consents.append(
                    ConsentChange(
                        participant=first,
                        given=True,
                        at=demo.finalised_at + dt.timedelta(hours=3),
                        via=ConsentChange.Via.OWN_PAGE,
                    )
                )
        meeting = generated.meeting
        base = timezone.localdate(
            meeting.starts_at if meeting and meeting.starts_at else demo.finalised_at
        )
        due = add_months(base, 3)
        opened_at = timezone.make_aware(dt.datetime.combine(due, dt.time(7, 0)))
        follow_up = FollowUp(months=3, due_on=due, created_at=demo.finalised_at)
        research.follow_up = follow_up
        if status == Status.CLOSED:
            follow_up.state = FollowUp.State.CLOSED
            follow_up.opened_at, follow_up.opened_by = opened_at, "demo"
            follow_up.closed_at = generated.case.status_changed_at
            end = generated.case.status_changed_at
        elif status == Status.FOLLOW_UP and opened_at < latest:
            follow_up.state = FollowUp.State.OPEN
            follow_up.opened_at, follow_up.opened_by = opened_at, "demo"
            end = latest
        else:
            return research
        asked = [i for i, p in enumerate(people) if p.may_be_asked_for_research]
        codes: set[str] = set()
        for n, i in enumerate(asked):
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            while code in codes:
                code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            codes.add(code)
            if force and n == 0:
                fate = "answered"
            elif force and n == len(asked) - 1 and n > 0:
                fate = "waiting"
            else:
                weights = [80, 5, 15] if status == Status.CLOSED else [45, 5, 50]
                fate = rng.choices(["answered", "declined", "waiting"], weights=weights)[0]
            self.respondent(
                research, follow_up, people[i], code, fate, (opened_at, end), demo, manager
            )
        return research

    def respondent(
        self,
        research: DemoResearch,
        follow_up: FollowUp,
        person: Participant,
        code: str,
        fate: str,
        period: tuple[dt.datetime, dt.datetime],
        demo: DemoPlan,
        manager: User,
    ) -> None:
        """One respondent: the invitation (email, or a letter the manager printed the next
        morning), reminders ten days apart (at most two), a researcher's call to someone
        without email, and the answers if they gave them."""
        rng = self.research_rng
        opened_at, end = period
        by_email = bool(person.email)
        invited_at = opened_at if by_email else opened_at + dt.timedelta(days=1, hours=2)
        respondent = Respondent(
            follow_up=follow_up, participant=person, code=code, category=person.category
        )
        research.respondents.append(respondent)
        if invited_at >= end:
            return  # the letter is not printed yet
        respondent.invited_at = invited_at
        attempts = research.attempts
        attempts.append(
            ContactAttempt(
                respondent=respondent,
                at=invited_at,
                kind=ContactAttempt.Kind.INVITATION,
                channel=ContactAttempt.Channel.EMAIL if by_email else ContactAttempt.Channel.LETTER,
                outcome=ContactAttempt.Outcome.SENT,
                by=None if by_email else manager,
            )
        )
        span = (end - invited_at).total_seconds()
        moment = invited_at + dt.timedelta(seconds=span * rng.uniform(0.05, 0.95))
        call = invited_at + dt.timedelta(days=14, hours=3)  # no answer to the letter yet
        if not by_email and fate == "answered" and call >= end:
            fate = "waiting"
        if not by_email and fate == "answered":
            # Reached by phone, perhaps at the second try: the researcher enters the answers.
            moment = call
            if rng.random() < 0.5 and call + dt.timedelta(days=2) < end:
                attempts.append(self.call(respondent, call, ContactAttempt.Outcome.NOT_REACHED))
                moment = call + dt.timedelta(days=2)
            attempts.append(self.call(respondent, moment, ContactAttempt.Outcome.REACHED))
        elif not by_email and fate == "waiting" and call < end:
            outcome = rng.choice(
                [ContactAttempt.Outcome.NOT_REACHED, ContactAttempt.Outcome.MESSAGE_LEFT]
            )
            attempts.append(self.call(respondent, call, outcome))
        until = end if fate == "waiting" else moment
        if by_email:
            reminder = invited_at + dt.timedelta(days=10)
            while reminder < until and respondent.reminders < 2:
                attempts.append(
                    ContactAttempt(
                        respondent=respondent,
                        at=reminder,
                        kind=ContactAttempt.Kind.REMINDER,
                        channel=ContactAttempt.Channel.EMAIL,
                        outcome=ContactAttempt.Outcome.SENT,
                    )
                )
                respondent.reminders += 1
                respondent.last_reminder_at = reminder
                reminder += dt.timedelta(days=10)
        if fate == "declined":
            respondent.declined_at = moment
        elif fate == "answered":
            respondent.answered_at = moment
            if by_email:
                respondent.answered_via = Respondent.Via.OWN_PAGE
            else:
                respondent.answered_via = Respondent.Via.RESEARCHER
                respondent.entered_by = self.researcher
            respondent.better = rng.choices(range(1, 6), weights=BETTER_WEIGHTS)[0]
            respondent.satisfaction = rng.choices(
                list(SATISFACTION_WEIGHTS), weights=list(SATISFACTION_WEIGHTS.values())
            )[0]
            respondent.recommend = rng.choices([True, False, None], weights=[85, 10, 5])[0]
            needed = rng.choices(list(Respondent.Needed), weights=[10, 70, 20])
            respondent.new_conference = needed[0]
            respondent.remark = rng.choice(REMARKS)
            outcomes, weights = zip(*OUTCOMES, strict=True)
            research.outcomes += [
                AgreementOutcome(
                    respondent=respondent,
                    agreement=agreement,
                    outcome=rng.choices(outcomes, weights=weights)[0],
                )
                for agreement, _who in demo.agreements
            ]

    def call(self, respondent: Respondent, at: dt.datetime, outcome: str) -> ContactAttempt:
        return ContactAttempt(
            respondent=respondent,
            at=at,
            kind=ContactAttempt.Kind.CALL,
            channel=ContactAttempt.Channel.PHONE,
            outcome=outcome,
            by=self.researcher,
        )


def make_generator(seed: int) -> Generator:
    regions = {region.slug: region for region in Region.objects.all()}
    managers: dict[int, User] = {}
    for manager in (
        User.objects.filter(is_regional_manager=True)
        .prefetch_related("managed_regions")
        .order_by("pk")
    ):
        for region in manager.managed_regions.all():
            managers.setdefault(region.pk, manager)
    coordinators: dict[int, list[User]] = defaultdict(list)
    for profile in CoordinatorProfile.objects.select_related("user").prefetch_related("regions"):
        for region in profile.regions.all():
            coordinators[region.pk].append(profile.user)
    return Generator(
        random.Random(seed),  # noqa: S311
        regions,
        managers,
        dict(coordinators),
        research_rng=random.Random(seed + 1),  # noqa: S311
        researcher=User.objects.filter(is_researcher=True, is_active=True).order_by("pk").first(),
    )


def insert(generated: list[Generated]) -> None:
    """Insert generated cases in bulk, numbering them per year of their request."""
    by_year: dict[int, list[Case]] = defaultdict(list)
    for item in generated:
        by_year[timezone.localtime(item.case.requested_at).year].append(item.case)
    for year, cases in by_year.items():
        cases.sort(key=lambda c: c.requested_at)
        for case, number in zip(cases, ReferenceCounter.reserve(year, len(cases)), strict=True):
            case.reference = format_reference(year, number)
    Case.objects.bulk_create([item.case for item in generated])
    # Bulk inserts send no signals: the dashboard's summary is told of the cases here.
    from kring.research.signals import mark_cases

    mark_cases([item.case.pk for item in generated])
    events: list[CaseEvent] = []
    questions: list[ConferenceQuestion] = []
    assignments: list[Assignment] = []
    fundings: list[Funding] = []
    lines: list[BottomLine] = []
    for item in generated:
        case = item.case
        for event in item.events:
            event.case = case
            events.append(event)
        questions += [
            ConferenceQuestion(case=case, text=text, position=i)
            for i, text in enumerate(item.questions)
        ]
        if item.assignment is not None:
            item.assignment.case = case
            assignments.append(item.assignment)
        if item.funding is not None:
            item.funding.case = case
            fundings.append(item.funding)
        if item.bottom_line is not None:
            item.bottom_line.case = case
            lines.append(item.bottom_line)
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    ConferenceQuestion.objects.bulk_create(questions, batch_size=2000)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    Funding.objects.bulk_create(fundings, batch_size=2000)
    BottomLine.objects.bulk_create(lines, batch_size=2000)
    people: list[Participant] = []
    meetings: list[Meeting] = []
    for item in generated:
        for participant in item.participants:
            participant.case = item.case
            people.append(participant)
        if item.meeting is not None:
            item.meeting.case = item.case
            meetings.append(item.meeting)
    Participant.objects.bulk_create(people, batch_size=2000)
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    insert_plans(generated)
    insert_research(generated)
    ContactMoment.objects.bulk_create(
        [
            ContactMoment(
                participant=participant,
                on=timezone.localdate(participant.informed_at),
                channel=ContactMoment.Channel.VISIT,
                outcome=ContactMoment.Outcome.REACHED,
            )
            for participant in people
            if participant.informed_at is not None
        ],
        batch_size=2000,
    )


def insert_plans(generated: list[Generated]) -> None:
    """The attendance, plans, versions, copies and aftercare calls of generated cases."""
    with_plan = [item for item in generated if item.plan is not None]
    plans = Plan.objects.bulk_create(
        [
            Plan(
                case=item.case,
                contingency=item.plan.contingency,
                outcome=Plan.Outcome.ACCEPTED if item.plan.finalised_at else "",
                outcome_at=item.plan.finalised_at,
            )
            for item in with_plan
            if item.plan is not None
        ],
        batch_size=2000,
    )
    attendance: list[Attendance] = []
    agreements: list[Agreement] = []
    who: list[tuple[Agreement, int]] = []
    requests: list[OrganisationRequest] = []
    evaluations: list[Evaluation] = []
    monitors = []
    endorsements: list[Endorsement] = []
    finalised: list[tuple[Plan, Generated, dt.datetime]] = []
    calls: list[AftercareCall] = []
    for item, plan in zip(with_plan, plans, strict=True):
        demo = item.plan
        if demo is None:  # filtered above; for the type checker
            continue
        people = item.participants
        for i, information, private, at_plan in demo.attendance:
            if item.meeting is not None:
                attendance.append(
                    Attendance(
                        meeting=item.meeting,
                        participant=people[i],
                        information=information,
                        private_time=private,
                        plan=at_plan,
                    )
                )
        for agreement, chosen in demo.agreements:
            agreement.plan = plan
            agreements.append(agreement)
            who += [(agreement, people[i].pk) for i in chosen]
        for request in demo.requests:
            request.plan = plan
            requests.append(request)
        for evaluation in demo.evaluations:
            evaluation.plan = plan
            evaluations.append(evaluation)
        monitors += [
            Plan.monitors.through(plan_id=plan.pk, participant_id=people[i].pk)
            for i in demo.monitors
        ]
        if demo.finalised_at is None:
            continue
        endorsed = {people[i].pk for i, _info, _private, at_plan in demo.attendance if at_plan} or {
            p.pk for p in people if p.willingness == Willingness.YES
        }
        endorsements += [
            Endorsement(
                plan=plan, participant_id=pk, via=Endorsement.Via.MEETING, at=demo.finalised_at
            )
            for pk in sorted(endorsed)
        ]
        finalised.append((plan, item, demo.finalised_at))
        if demo.aftercare_on is not None:
            calls.append(
                AftercareCall(
                    case=item.case,
                    on=demo.aftercare_on,
                    how_it_goes="De meeste afspraken lopen; de schoonmaak moet opnieuw "
                    "besproken worden.",
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=2000)
    Agreement.objects.bulk_create(agreements, batch_size=2000)
    Agreement.who.through.objects.bulk_create(
        [Agreement.who.through(agreement_id=a.pk, participant_id=pk) for a, pk in who],
        batch_size=2000,
    )
    OrganisationRequest.objects.bulk_create(requests, batch_size=2000)
    Evaluation.objects.bulk_create(evaluations, batch_size=2000)
    Plan.monitors.through.objects.bulk_create(monitors, batch_size=2000)
    Endorsement.objects.bulk_create(endorsements, batch_size=2000)
    # Each version holds what finalising the plan freezes, made by the plan services from
    # the rows just written (the bulk seeder writes the same content as rows; its test
    # compares the two).
    versions = [
        (PlanVersion(plan=plan, number=1, content=snapshot(plan), finalised_at=at), item)
        for plan, item, at in finalised
    ]
    PlanVersion.objects.bulk_create([version for version, _item in versions], batch_size=2000)
    Delivery.objects.bulk_create(
        [
            Delivery(
                version=version,
                participant=participant,
                channel=Delivery.Channel.EMAIL if participant.email else Delivery.Channel.LETTER,
                created_at=version.finalised_at,
                printed_at=None if participant.email else version.finalised_at,
                delivered_at=version.finalised_at + dt.timedelta(hours=1),
            )
            for version, item in versions
            for participant in item.participants
            if participant.willingness != Willingness.NO
        ],
        batch_size=2000,
    )
    AftercareCall.objects.bulk_create(calls, batch_size=2000)


def insert_research(generated: list[Generated]) -> None:
    """Consent logs and follow-up moments with their respondents, answers and contacts (after
    the participants and agreements they point at)."""
    research = [item.research for item in generated if item.research is not None]
    follow_ups = []
    for item in generated:
        if item.research is not None and item.research.follow_up is not None:
            item.research.follow_up.case = item.case
            follow_ups.append(item.research.follow_up)
    ConsentChange.objects.bulk_create([c for r in research for c in r.consents], batch_size=2000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    Respondent.objects.bulk_create([x for r in research for x in r.respondents], batch_size=2000)
    AgreementOutcome.objects.bulk_create([x for r in research for x in r.outcomes], batch_size=2000)
    ContactAttempt.objects.bulk_create([x for r in research for x in r.attempts], batch_size=2000)


def generate(count: int, *, seed: int = 2026, batch: int = 5000) -> Iterator[int]:
    """Add ``count`` cases with statuses in realistic proportions; yields progress."""
    generator = make_generator(seed)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    done = 0
    while done < count:
        size = min(batch, count - done)
        chosen = generator.rng.choices(statuses, weights=weights, k=size)
        with transaction.atomic():
            insert([generator.case(status) for status in chosen])
        done += size
        yield done
