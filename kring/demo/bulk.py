"""Seeding at scale (issue 18): ``seed --cases 100000`` in minutes, not an hour.

The demo's generator (:mod:`kring.demo.generator`) builds a Django model instance for every
row and inserts them with ``bulk_create``: about 80 rows a case, 13,000 rows a second on
PostgreSQL — 100,000 cases took over ten minutes. This seeder makes the same kinds of cases in
the same proportions (the demo's vocabulary, weights and paths through the lifecycle, every
phase with its participants, meeting, plan, agreements, follow-up moment and answers) but as
plain rows:

- every row is a tuple in the table's column order, its primary key numbered here (after the
  table's highest id), so that rows can point at each other before anything is written;
- rows go in with ``COPY … FROM STDIN`` on PostgreSQL and ``executemany`` on SQLite, one
  transaction per batch of cases, and PostgreSQL's id sequences are moved past them at the end
  of each batch;
- no model's ``save``, no signal, no access-log row: the data is *loaded*, as a fixture is,
  with its history written as it would have been recorded at the time.

Use it on a database that nobody else writes to while it runs (a benchmark or demo database):
it numbers rows after the highest id it read at the start of a batch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import operator
import queue
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from kring.accounts.models import CoordinatorProfile, Municipality, Organisation, Region, User
from kring.cases.lifecycle import TRANSITIONS
from kring.cases.models import (
    ACTIVE_ASSIGNMENT_STATES,
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
from kring.circle.models import PROFESSIONALS, ContactMoment, Participant, Willingness
from kring.demo import personas
from kring.demo import vocabulary as words
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

DAY = dt.timedelta(days=1)
# Active cases (asked for or accepted) a coordinator holds at most: a decade of cases is
# coordinated by many people with a working load like the demo's, not by the demo's five
# with thousands of open cases each (100,000 cases gave each about 4,000).
ACTIVE_CAP = 50
HOUR = dt.timedelta(hours=1)
UTC = dt.UTC


class Table:
    """The rows of one table: tuples in its column order, with its own numbering of ids."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        self.model = model
        self.name = model._meta.db_table
        self.columns = [str(f.column) for f in fields]
        self.defaults = {f.attname: _default(f) for f in fields}
        self.pick: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(
            *(f.attname for f in fields)
        )
        self.datetimes = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
        self.rows: list[tuple[Any, ...]] = []
        self.next_id = 1

    def add(self, **values: Any) -> int:
        """Add a row (attribute names as keys; the rest take their defaults); its id."""
        pk = values["id"] = self.next_id
        self.next_id += 1
        self.rows.append(self.pick({**self.defaults, **values}))
        return pk

    def reserve(self) -> int:
        """An id for a row that is added later (with ``add_row``)."""
        pk = self.next_id
        self.next_id += 1
        return pk

    def add_row(self, values: dict[str, Any]) -> None:
        self.rows.append(self.pick({**self.defaults, **values}))


def _default(model_field: models.Field[Any, Any]) -> Any:
    if not model_field.has_default():
        return None if model_field.null else ("" if model_field.empty_strings_allowed else None)
    value = model_field.get_default()  # a callable default (now, dict) once, for every row
    if isinstance(model_field, models.JSONField):
        return json.dumps(value)
    return value


@dataclass
class Person:
    """A participant while their case is being made (their row is added at its end)."""

    values: dict[str, Any]
    first: str
    willing: str
    professional: bool
    consent: bool | None = None

    @property
    def pk(self) -> int:
        pk: int = self.values["id"]
        return pk


def _weights(table: dict[Any, int]) -> tuple[list[Any], list[int]]:
    """Choices and cumulative weights (``random.choices`` is fastest given those)."""
    items, running, total = list(table), [], 0
    for weight in table.values():
        total += weight
        running.append(total)
    return items, running


STATUSES, STATUS_CUMULATIVE = _weights(words.STATUS_WEIGHTS)
OUTCOME_CHOICES, OUTCOME_CUMULATIVE = _weights(dict(words.OUTCOMES))
SATISFACTION, SATISFACTION_CUMULATIVE = _weights(words.SATISFACTION_WEIGHTS)
BETTER, BETTER_CUMULATIVE = _weights(dict(zip(range(1, 6), words.BETTER_WEIGHTS, strict=True)))
URGENCIES, URGENCY_CUMULATIVE = _weights(dict(zip(Urgency, [6, 3, 1], strict=True)))
CHANNELS, CHANNEL_CUMULATIVE = _weights(dict(zip(Channel, [6, 3, 1, 1], strict=True)))
NEEDED, NEEDED_CUMULATIVE = _weights(dict(zip(Respondent.Needed, [10, 70, 20], strict=True)))
VARIANTS = list(Variant)
RELATIONS = list(RequesterRelation)
ORGANISATION_NAMES = [name for name, _kind in personas.ORGANISATIONS]
LETTERS = "ABCDEGHJKLMNPRST"
# Per step of a path: does the coordinator take it (rather than the manager)?
BY_COORDINATOR = {
    step: "coordinator" in t.roles and "regional_manager" not in t.roles
    for step, t in TRANSITIONS.items()
}
CONTINGENCY = (
    "Als een afspraak niet lukt, belt wie het merkt de bewaker van het plan; die roept iedereen "
    "binnen twee weken bij elkaar."
)
HOW_IT_GOES = "De meeste afspraken lopen; de schoonmaak moet opnieuw besproken worden."
BOTTOM_LINE = (
    "De kinderen blijven wonen waar ze nu wonen; contact met vader alleen onder begeleiding."
)
BOTTOM_LINE_SET_BY = "Jeugdbeschermer, Gecertificeerde Instelling"
MODELS: list[type[models.Model]] = [
    User,
    CoordinatorProfile,
    CoordinatorProfile.regions.through,
    Case,
    CaseEvent,
    ConferenceQuestion,
    Assignment,
    Funding,
    BottomLine,
    Participant,
    ContactMoment,
    Meeting,
    Attendance,
    Plan,
    Agreement,
    Agreement.who.through,
    OrganisationRequest,
    Evaluation,
    Plan.monitors.through,
    Endorsement,
    PlanVersion,
    Delivery,
    AftercareCall,
    ConsentChange,
    FollowUp,
    Respondent,
    AgreementOutcome,
    ContactAttempt,
]


@dataclass
class Seeder:
    """Makes cases as rows; ``flush`` writes what it made in one transaction."""

    rng: random.Random
    research_rng: random.Random
    regions: list[int]
    managers: dict[int, int]
    coordinators: dict[int, list[int]]
    municipalities: dict[int, list[tuple[int, str]]]
    financiers: dict[str, list[int]]
    researcher: int | None
    # Active cases per coordinator, and per region the coordinators with room for one more.
    active: Counter[int] = field(default_factory=Counter)
    room: dict[int, list[int]] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=timezone.now)
    tables: dict[type[models.Model], Table] = field(default_factory=dict)
    # The cases of this batch (their references are given at flush) and the plan versions
    # whose frozen content names its case's reference.
    cases: list[dict[str, Any]] = field(default_factory=list)
    versions: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tables = {model: Table(model) for model in MODELS}
        self.zone = timezone.get_current_timezone()
        self.latest = self.now - dt.timedelta(minutes=5)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    def case(self, status: Status) -> None:
        """One case in ``status`` with all that belongs to it (the demo's ``Generator.case``)."""
        rng, t = self.rng, self.tables
        variant = rng.choice(VARIANTS)
        region = rng.choice(self.regions)
        municipality, municipality_name = rng.choice(self.municipalities[region])
        path = words.PATHS[status]
        gaps = [rng.randint(1, 12) for _ in path[1:]]
        closed = status == Status.CLOSED
        idle = rng.randint(0, 400) if closed or status == Status.DECLINED else rng.randint(0, 20)
        if closed:
            gaps[-1] = self.research_rng.randint(125, 150)
        elif status == Status.FOLLOW_UP:
            idle += self.research_rng.randint(20, 100)
        requested_at = self.now - dt.timedelta(
            days=sum(gaps) + idle, hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        street = rng.choice(words.STREETS)
        relation = rng.choice(RELATIONS)
        postcode = (
            f"{personas.POSTCODE_PREFIX.get(municipality_name, 1000) + rng.randint(0, 8)} "
            f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
        )
        case_id = t[Case].reserve()
        case: dict[str, Any] = {
            "id": case_id,
            "status": status,
            "variant": variant,
            "urgency": rng.choices(URGENCIES, cum_weights=URGENCY_CUMULATIVE)[0],
            "region_id": region,
            "municipality_id": municipality,
            "place": rng.choice(words.PLACES[variant]).format(
                street=street, last=last, first=first
            ),
            "postcode": postcode,
            "description": rng.choice(words.DESCRIPTIONS[variant]),
            "requester_name": f"{first} {last}",
            "requester_email": f"{first.lower()}.{last.lower().replace(' ', '')}@"
            f"{rng.choice(['voorbeeld.nl', 'mail.example', 'post.example'])}",
            "requester_phone": f"06-{rng.randint(10000000, 99999999)}",
            "requester_relation": relation,
            "requester_organisation": rng.choice(ORGANISATION_NAMES)
            if relation == RequesterRelation.PROFESSIONAL
            else "",
            "requested_at": requested_at,
            "address": f"{street} {rng.randint(1, 140)}",
            "involved": words.INVOLVED[variant],
            "coordinator_language": rng.choice(["", "", "", "", "tr", "ar", "en"]),
            "coordinator_gender": rng.choice(["", "", "", "female", "male"]),
            "channel": rng.choices(CHANNELS, cum_weights=CHANNEL_CUMULATIVE)[0],
            "consent_at": requested_at,
        }
        manager = self.managers[region]
        coordinator = (
            self.coordinator_for(
                region, words.ASSIGNMENT_STATE.get(status) != Assignment.State.ENDED
            )
            if status in words.WITH_COORDINATOR
            else None
        )
        events = t[CaseEvent]
        events.add(
            case_id=case_id, at=requested_at, action="case.requested", to_status=Status.REQUESTED
        )
        reached: dict[str, dt.datetime] = {}
        at = requested_at
        for source, target, gap in zip(path[:-1], path[1:], gaps, strict=True):
            at += dt.timedelta(days=gap, hours=rng.randint(0, 6))
            reached[target] = at
            events.add(
                case_id=case_id,
                at=at,
                actor_id=coordinator
                if coordinator is not None and BY_COORDINATOR[(source, target)]
                else manager,
                action="status.changed",
                from_status=source,
                to_status=target,
                reason=words.REASONS.get(target, ""),
            )
        case["status_changed_at"] = at
        intake = reached.get(Status.INTAKE)
        if intake is not None and status != Status.INTAKE:
            case["intake_on"] = self.local(intake).date()
            case["intake_notes"] = words.INTAKE_NOTES
        questions = words.QUESTIONS[variant]
        questions = rng.sample(questions, k=min(len(questions), rng.choice([1, 1, 2])))
        if status in (Status.REQUESTED, Status.DECLINED):
            questions = []
        for position, text in enumerate(questions):
            t[ConferenceQuestion].add(case_id=case_id, text=text, position=position)
        if coordinator is not None:
            offered = reached[Status.COORDINATOR_ASSIGNED]
            state = words.ASSIGNMENT_STATE.get(status, Assignment.State.ACCEPTED)
            t[Assignment].add(
                case_id=case_id,
                coordinator_id=coordinator,
                state=state,
                offered_at=offered,
                accepted_at=offered + DAY if state != Assignment.State.OFFERED else None,
                ended_at=at if state == Assignment.State.ENDED else None,
                asked_by_id=manager,
                declaration=words.DECLARATION if state != Assignment.State.OFFERED else "",
            )
        accepted = reached.get(Status.ACCEPTED)
        if accepted is not None:
            kind = rng.choice(words.FINANCIER_KINDS[variant])
            t[Funding].add(
                case_id=case_id,
                organisation_id=rng.choice(self.financiers[kind]),
                contact_person=f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}",
                amount=rng.choice([1850, 2400, 2750, 3200]),
                reference=f"OPD-{rng.randint(1000, 9999)}",
                decision=Funding.Decision.PENDING
                if status == Status.ACCEPTED
                else Funding.Decision.APPROVED,
                decided_on=None
                if status == Status.ACCEPTED
                else self.local(accepted).date() + dt.timedelta(days=rng.randint(0, 3)),
            )
        # What a plan version freezes of the case itself (as plans.services.snapshot does).
        frozen: dict[str, list[dict[str, Any]]] = {
            "questions": [{"text": text, "answer": ""} for text in questions],
            "bottom_lines": [],
        }
        if variant == Variant.FAMILY and questions and rng.random() < 0.4:
            t[BottomLine].add(
                case_id=case_id,
                text=BOTTOM_LINE,
                set_by=BOTTOM_LINE_SET_BY,
                mandate="Ondertoezichtstelling (kinderrechter)",
                created_at=intake or requested_at,
            )
            frozen["bottom_lines"].append(
                {"text": BOTTOM_LINE, "set_by": BOTTOM_LINE_SET_BY, "met": None, "reason": ""}
            )
        self.cases.append(case)
        if status in words.WITH_CIRCLE:
            people = self.circle(
                case, status, variant, (street, municipality_name), at, reached, frozen
            )
            self.people(people)

    def coordinator_for(self, region: int, active: bool) -> int:
        """A coordinator of ``region`` for a case: for an active one, one with room under
        ``ACTIVE_CAP`` (a new generated coordinator when the region's are all full); for an
        ended one, anyone who coordinates there."""
        if not active:
            return self.rng.choice(self.coordinators[region])
        room = self.room.setdefault(
            region, [c for c in self.coordinators[region] if self.active[c] < ACTIVE_CAP]
        )
        if not room:
            room.append(self.new_coordinator(region))
        pick = self.rng.choice(room)
        self.active[pick] += 1
        if self.active[pick] >= ACTIVE_CAP:
            room.remove(pick)
        return pick

    def new_coordinator(self, region: int) -> int:
        """A generated coordinator of ``region`` (no password, no daily email)."""
        rng, t = self.rng, self.tables
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        pk = t[User].reserve()
        t[User].add_row(
            {
                "id": pk,
                "password": f"!{rng.getrandbits(128):032x}",  # unusable: never signs in
                "email": f"coordinator.{pk}@bulk.kring.example",
                "full_name": f"{first} {last}",
                "is_coordinator": True,
                "daily_digest": False,
                "date_joined": self.now,
            }
        )
        profile = t[CoordinatorProfile].add(user_id=pk, max_cases=20)
        t[CoordinatorProfile.regions.through].add(coordinatorprofile_id=profile, region_id=region)
        self.coordinators[region].append(pk)
        return pk

    def circle(
        self,
        case: dict[str, Any],
        status: Status,
        variant: Variant,
        address: tuple[str, str],
        at: dt.datetime,
        reached: dict[str, dt.datetime],
        frozen: dict[str, list[dict[str, Any]]],
    ) -> list[Person]:
        """The circle of a case in or past preparation, its meeting once scheduled, its plan."""
        rng, t = self.rng, self.tables
        street, municipality_name = address
        categories = words.CIRCLE_CATEGORIES[variant]
        size = rng.randint(len(categories), len(categories) + 5)
        people = []
        for i in range(size):
            category = categories[i] if i < len(categories) else rng.choice(categories)
            first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
            by_email = rng.random() < 0.8
            if status == Status.PREPARATION:
                willing = rng.choice(
                    [Willingness.YES, Willingness.YES, Willingness.NOT_YET, Willingness.UNKNOWN]
                )
            elif status == Status.STOPPED:
                willing = rng.choice([Willingness.NO, Willingness.NO, Willingness.NOT_YET])
            else:
                willing = Willingness.YES if rng.random() < 0.88 else Willingness.NO
            known = at if willing != Willingness.UNKNOWN else None
            values = {
                "id": t[Participant].reserve(),
                "case_id": case["id"],
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}@voorbeeld.nl"
                if by_email
                else "",
                "phone": f"06-{rng.randint(10000000, 99999999)}",
                "postal_address": ""
                if by_email
                else f"{street} {rng.randint(1, 140)}\n{case['postcode']} {municipality_name}",
                "category": category,
                "willingness": willing,
                "willingness_at": known,
                "informed_at": known,
                "diet": rng.choice(["", "", "", "vegetarian", "halal"]),
                "created_at": case["requested_at"],
            }
            people.append(Person(values, first, willing, category in PROFESSIONALS))
        meeting = None
        if status in words.WITH_MEETING:
            scheduled = reached.get(Status.SCHEDULED, at)
            start = self.local(scheduled + dt.timedelta(days=rng.randint(7, 21))).replace(
                hour=19, minute=0, second=0, microsecond=0
            )
            held = reached.get(Status.HELD)
            if held is not None:
                # The meeting took place before it was recorded as held: that evening or the
                # one before.
                start = self.local(held).replace(hour=19, minute=0, second=0, microsecond=0)
                if start > held:
                    start -= DAY
                start = max(start, self.local(scheduled))
            meeting = {
                "case_id": case["id"],
                "starts_at": start,
                "ends_at": start + 3 * HOUR,
                "venue_name": rng.choice(["Buurthuis De Ster", "Wijkcentrum Oost", "De Kas"]),
                "venue_address": f"{street} {rng.randint(1, 140)}",
                "catering": "Soep, broodjes, koffie en thee",
                "catering_for": size,
            }
            meeting["id"] = t[Meeting].reserve()
            meeting["uid"] = f"seed-{meeting['id']}@kring"
            t[Meeting].add_row(meeting)
        if status in words.WITH_PLAN:
            self.plan(case, status, (variant, street), people, meeting, reached, frozen)
        return people

    def plan(
        self,
        case: dict[str, Any],
        status: Status,
        kind: tuple[Variant, str],
        people: list[Person],
        meeting: dict[str, Any] | None,
        reached: dict[str, dt.datetime],
        frozen: dict[str, list[dict[str, Any]]],
    ) -> None:
        """Attendance, a plan of a few agreements and — once accepted — its version,
        endorsements, copies, aftercare call and follow-up moment."""
        rng, t = self.rng, self.tables
        variant, street = kind
        willing = [i for i, p in enumerate(people) if p.willing == Willingness.YES]
        attendance = []
        if meeting is not None:
            for i in willing:
                private = not people[i].professional and rng.random() < 0.95
                attendance.append((i, rng.random() < 0.95, private, rng.random() < 0.92))
        at_plan = [i for i, *_parts, plan in attendance if plan] or willing
        day = self.local(meeting["starts_at"] if meeting else case["status_changed_at"]).date()
        accepted = status in words.PLAN_ACCEPTED
        finalised_at = None
        if accepted:
            finalised_at = reached.get(Status.PLAN_DISTRIBUTED, case["status_changed_at"]) - 2 * DAY
        plan_id = t[Plan].add(
            case_id=case["id"],
            contingency=CONTINGENCY,
            outcome=Plan.Outcome.ACCEPTED if finalised_at else "",
            outcome_at=finalised_at,
            created_at=case["status_changed_at"],
            updated_at=case["status_changed_at"],
        )
        if meeting is not None:
            for i, information, private, plan in attendance:
                t[Attendance].add(
                    meeting_id=meeting["id"],
                    participant_id=people[i].pk,
                    information=information,
                    private_time=private,
                    plan=plan,
                    recorded_at=meeting["ends_at"],
                )
        agreements = []
        templates = words.AGREEMENTS[variant]
        for order, (text, often, where) in enumerate(
            rng.sample(templates, k=rng.randint(3, len(templates))), start=1
        ):
            who = rng.sample(at_plan, k=min(len(at_plan), 2 if "{b}" in text else 1))
            names = [people[i].first for i in who] + ["", ""]
            agreement: dict[str, Any] = {
                "plan_id": plan_id,
                "what": text.format(a=names[0], b=names[1] or "de buren", street=street),
                "where": where.format(street=street),
                "order": order,
                "created_at": case["status_changed_at"],
            }
            if often:
                agreement["when"], agreement["recurrence"] = Agreement.When.RECURRING, often
            elif rng.random() < 0.5:
                agreement["when"] = Agreement.When.DATE
                agreement["on"] = day + dt.timedelta(days=rng.randint(7, 60))
            else:
                agreement["when"] = Agreement.When.PERIOD
                agreement["on"] = day + dt.timedelta(days=7)
                agreement["until"] = agreement["on"] + dt.timedelta(days=rng.choice([30, 60, 90]))
            agreement["id"] = t[Agreement].add(**agreement)
            for i in who:
                t[Agreement.who.through].add(
                    agreement_id=agreement["id"], participant_id=people[i].pk
                )
            agreements.append((agreement, who))
        requests = []
        if rng.random() < 0.5:
            organisation, text = rng.choice(words.ORGANISATION_REQUESTS)
            reply = rng.choice(["yes", "yes", "partly", ""])
            requests.append({"organisation": organisation, "request": text, "reply": reply})
            t[OrganisationRequest].add(
                plan_id=plan_id, organisation=organisation, request=text, order=1, reply=reply
            )
        evaluations = []
        for n, weeks in enumerate([6, 12][: rng.randint(1, 2)], start=1):
            on = day + dt.timedelta(weeks=weeks)
            evaluations.append({"on": on.isoformat(), "description": EVALUATION})
            t[Evaluation].add(plan_id=plan_id, on=on, description=EVALUATION, order=n)
        for i in at_plan[:1]:
            t[Plan.monitors.through].add(plan_id=plan_id, participant_id=people[i].pk)
        if finalised_at is None:
            return
        endorsed = {people[i].pk for i, *_parts, plan in attendance if plan} or {
            p.pk for p in people if p.willing == Willingness.YES
        }
        for pk in sorted(endorsed):
            t[Endorsement].add(
                plan_id=plan_id, participant_id=pk, via=Endorsement.Via.MEETING, at=finalised_at
            )
        content = _version_content(
            case,
            variant,
            meeting,
            frozen,
            people,
            agreements=agreements,
            requests=requests,
            evaluations=evaluations,
            monitors=at_plan[:1],
            took_part=[i for i, *_parts in attendance] or willing,
            endorsed=endorsed,
        )
        version = {
            "id": t[PlanVersion].reserve(),
            "plan_id": plan_id,
            "number": 1,
            "content": content,
            "finalised_at": finalised_at,
        }
        self.versions.append((version, case))
        for person in people:
            if person.willing == Willingness.NO:
                continue
            by_email = bool(person.values["email"])
            t[Delivery].add(
                version_id=version["id"],
                participant_id=person.pk,
                channel=Delivery.Channel.EMAIL if by_email else Delivery.Channel.LETTER,
                created_at=finalised_at,
                printed_at=None if by_email else finalised_at,
                delivered_at=finalised_at + HOUR,
            )
        if status in (Status.FOLLOW_UP, Status.CLOSED):
            t[AftercareCall].add(
                case_id=case["id"],
                on=day + dt.timedelta(days=rng.randint(25, 35)),
                how_it_goes=HOW_IT_GOES,
                recorded_at=case["status_changed_at"],
            )
        self.research(case, status, people, meeting, finalised_at, [a for a, _ in agreements])

    def research(
        self,
        case: dict[str, Any],
        status: Status,
        people: list[Person],
        meeting: dict[str, Any] | None,
        finalised_at: dt.datetime,
        agreements: list[dict[str, Any]],
    ) -> None:
        """Research consent for about 70 % of those who took part and the follow-up moment at
        three months, with its respondents, answers and contacts (the demo's ``research``)."""
        rng, t = self.research_rng, self.tables
        for person in people:
            if person.willing != Willingness.YES:
                continue
            draw = rng.random()
            if draw >= 0.8:
                continue  # not answered the question on their own page
            person.consent = draw < 0.7
            t[ConsentChange].add(
                participant_id=person.pk,
                given=person.consent,
                at=min(finalised_at + dt.timedelta(hours=rng.randint(2, 72)), self.latest),
                via=ConsentChange.Via.OWN_PAGE,
            )
        base = self.local(meeting["starts_at"] if meeting else finalised_at).date()
        due = add_months(base, 3)
        opened_at = dt.datetime.combine(due, dt.time(7, 0), tzinfo=self.zone)
        follow_up: dict[str, Any] = {
            "case_id": case["id"],
            "months": 3,
            "due_on": due,
            "created_at": finalised_at,
        }
        if status == Status.CLOSED:
            follow_up["state"] = FollowUp.State.CLOSED
            follow_up["opened_at"], follow_up["opened_by"] = opened_at, "demo"
            follow_up["closed_at"] = end = case["status_changed_at"]
        elif status == Status.FOLLOW_UP and opened_at < self.latest:
            follow_up["state"] = FollowUp.State.OPEN
            follow_up["opened_at"], follow_up["opened_by"] = opened_at, "demo"
            end = self.latest
        else:
            t[FollowUp].add(**follow_up)
            return
        follow_up_id = t[FollowUp].add(**follow_up)
        codes: set[str] = set()
        weights = [80, 5, 15] if status == Status.CLOSED else [45, 5, 50]
        for person in people:
            if not person.consent or person.willing == Willingness.NO:
                continue
            code = "".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
            while code in codes:
                code = "".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
            codes.add(code)
            fate = rng.choices(["answered", "declined", "waiting"], weights=weights)[0]
            self.respondent(
                follow_up_id,
                person,
                code,
                fate,
                (opened_at, end),
                agreements,
                self.managers[case["region_id"]],
            )

    def respondent(
        self,
        follow_up_id: int,
        person: Person,
        code: str,
        fate: str,
        period: tuple[dt.datetime, dt.datetime],
        agreements: list[dict[str, Any]],
        manager: int,
    ) -> None:
        """One respondent: the invitation (email, or a letter printed the next morning),
        reminders ten days apart (at most two), a call to someone without email, answers."""
        rng, t = self.research_rng, self.tables
        opened_at, end = period
        by_email = bool(person.values["email"])
        invited_at = opened_at if by_email else opened_at + dt.timedelta(days=1, hours=2)
        respondent: dict[str, Any] = {
            "id": t[Respondent].reserve(),
            "follow_up_id": follow_up_id,
            "participant_id": person.pk,
            "code": code,
            "category": person.values["category"],
        }
        if invited_at >= end:
            t[Respondent].add_row(respondent)  # the letter is not printed yet
            return
        pk = respondent["id"]
        respondent["invited_at"] = invited_at
        attempts = t[ContactAttempt]
        attempts.add(
            respondent_id=pk,
            at=invited_at,
            kind=ContactAttempt.Kind.INVITATION,
            channel=ContactAttempt.Channel.EMAIL if by_email else ContactAttempt.Channel.LETTER,
            outcome=ContactAttempt.Outcome.SENT,
            by_id=None if by_email else manager,
        )
        span = (end - invited_at).total_seconds()
        moment = invited_at + dt.timedelta(seconds=span * rng.uniform(0.05, 0.95))
        call = invited_at + dt.timedelta(days=14, hours=3)  # no answer to the letter yet
        if not by_email and fate == "answered" and call >= end:
            fate = "waiting"
        if not by_email and fate == "answered":
            moment = call
            if rng.random() < 0.5 and call + 2 * DAY < end:
                self.call(pk, call, ContactAttempt.Outcome.NOT_REACHED)
                moment = call + 2 * DAY
            self.call(pk, moment, ContactAttempt.Outcome.REACHED)
        elif not by_email and fate == "waiting" and call < end:
            self.call(
                pk,
                call,
                rng.choice(
                    [ContactAttempt.Outcome.NOT_REACHED, ContactAttempt.Outcome.MESSAGE_LEFT]
                ),
            )
        until = end if fate == "waiting" else moment
        if by_email:
            reminder = invited_at + 10 * DAY
            reminders = 0
            while reminder < until and reminders < 2:
                attempts.add(
                    respondent_id=pk,
                    at=reminder,
                    kind=ContactAttempt.Kind.REMINDER,
                    channel=ContactAttempt.Channel.EMAIL,
                    outcome=ContactAttempt.Outcome.SENT,
                )
                reminders += 1
                respondent["reminders"], respondent["last_reminder_at"] = reminders, reminder
                reminder += 10 * DAY
        if fate == "declined":
            respondent["declined_at"] = moment
        elif fate == "answered":
            respondent["answered_at"] = moment
            if by_email:
                respondent["answered_via"] = Respondent.Via.OWN_PAGE
            else:
                respondent["answered_via"] = Respondent.Via.RESEARCHER
                respondent["entered_by_id"] = self.researcher
            respondent["better"] = rng.choices(BETTER, cum_weights=BETTER_CUMULATIVE)[0]
            respondent["satisfaction"] = rng.choices(
                SATISFACTION, cum_weights=SATISFACTION_CUMULATIVE
            )[0]
            respondent["recommend"] = rng.choices([True, False, None], weights=[85, 10, 5])[0]
            respondent["new_conference"] = rng.choices(NEEDED, cum_weights=NEEDED_CUMULATIVE)[0]
            respondent["remark"] = rng.choice(words.REMARKS)
            for agreement in agreements:
                t[AgreementOutcome].add(
                    respondent_id=pk,
                    agreement_id=agreement["id"],
                    outcome=rng.choices(OUTCOME_CHOICES, cum_weights=OUTCOME_CUMULATIVE)[0],
                )
        t[Respondent].add_row(respondent)

    def call(self, respondent: int, at: dt.datetime, outcome: str) -> None:
        self.tables[ContactAttempt].add(
            respondent_id=respondent,
            at=at,
            kind=ContactAttempt.Kind.CALL,
            channel=ContactAttempt.Channel.PHONE,
            outcome=outcome,
            by_id=self.researcher,
        )

    def people(self, people: list[Person]) -> None:
        """The case's participants' rows (now that research consent is known), and a visit
        for each who was informed."""
        participants, moments = self.tables[Participant], self.tables[ContactMoment]
        for person in people:
            values = person.values
            if person.consent is not None:
                values["research_consent"] = person.consent
            participants.add_row(values)
            if values["informed_at"] is not None:
                moments.add(
                    participant_id=values["id"],
                    on=self.local(values["informed_at"]).date(),
                    channel=ContactMoment.Channel.VISIT,
                    outcome=ContactMoment.Outcome.REACHED,
                )

    # --- Writing -------------------------------------------------------------------------

    def number(self) -> None:
        """Each table's ids continue after its highest."""
        with connection.cursor() as cursor:
            for table in self.tables.values():
                name = connection.ops.quote_name(table.name)  # a model's table, not input
                cursor.execute(f"SELECT MAX(id) FROM {name}")  # noqa: S608
                highest = cursor.fetchone()[0]
                table.next_id = (highest or 0) + 1

    def make(self, count: int) -> Batch:
        """``count`` cases in the demo's proportions of statuses, as rows not yet written."""
        for status in self.rng.choices(STATUSES, cum_weights=STATUS_CUMULATIVE, k=count):
            self.case(status)
        made = Batch(self.cases, self.versions, {t: t.rows for t in self.tables.values()})
        self.cases, self.versions = [], []
        for table in self.tables.values():
            table.rows = []
        return made


def _version_content(
    case: dict[str, Any],
    variant: Variant,
    meeting: dict[str, Any] | None,
    frozen: dict[str, list[dict[str, Any]]],
    people: list[Person],
    *,
    agreements: list[tuple[dict[str, Any], list[int]]],
    requests: list[dict[str, Any]],
    evaluations: list[dict[str, Any]],
    monitors: list[int],
    took_part: list[int],
    endorsed: set[int],
) -> dict[str, Any]:
    """What finalising the plan freezes into its version, as ``plans.services.snapshot``
    makes it (in its order; times in UTC, as read back): written here as a row, for speed,
    and compared with the services' in a test. ``took_part``: everyone with an attendance
    row, or without a meeting everyone who said yes (``plans.services.took_part``)."""

    def by_name(i: int) -> tuple[str, int]:
        return people[i].values["name"], people[i].pk

    return {
        "reference": "",  # given at flush, with the case's
        "place": case["place"],
        "variant": str(variant),
        "meeting": None
        if meeting is None
        else {
            "starts_at": meeting["starts_at"].astimezone(UTC).isoformat(),
            "ends_at": meeting["ends_at"].astimezone(UTC).isoformat(),
            "venue_name": meeting["venue_name"],
            "venue_address": meeting["venue_address"],
        },
        **frozen,
        "agreements": [
            {
                "what": a["what"],
                "who": [people[i].values["name"] for i in sorted(who, key=by_name)],
                "who_ids": [people[i].pk for i in sorted(who, key=by_name)],
                "organisation": "",
                "where": a["where"],
                "when": str(a["when"]),
                "on": a["on"].isoformat() if a.get("on") else None,
                "until": a["until"].isoformat() if a.get("until") else None,
                "recurrence": a.get("recurrence", ""),
            }
            for a, who in agreements
        ],
        "requests": [{**r, "reply_note": ""} for r in requests],
        "monitors": [people[i].values["name"] for i in sorted(monitors, key=by_name)],
        "monitor_note": "",
        "evaluations": evaluations,
        "contingency": CONTINGENCY,
        "participants": [
            {
                "id": people[i].pk,
                "name": people[i].values["name"],
                "organisation": "",
                "endorsed": people[i].pk in endorsed,
            }
            for i in sorted(took_part, key=by_name)
        ],
    }


@dataclass
class Batch:
    """Cases made by the seeder: their rows per table, and the cases and plan versions whose
    rows wait for the cases' references."""

    cases: list[dict[str, Any]]
    versions: list[tuple[dict[str, Any], dict[str, Any]]]
    rows: dict[Table, list[tuple[Any, ...]]]

    def write(self, tables: dict[type[models.Model], Table]) -> dict[str, int]:
        """Give the cases their references (per year in the order of their requests, as the
        request form does) and write every table; the rows written per table."""
        zone = timezone.get_current_timezone()
        by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for case in self.cases:
            by_year[case["requested_at"].astimezone(zone).year].append(case)
        for year, cases in by_year.items():
            cases.sort(key=operator.itemgetter("requested_at"))
            numbers = ReferenceCounter.reserve(year, len(cases))
            for case, number in zip(cases, numbers, strict=True):
                case["reference"] = format_reference(year, number)
        pick_case, pick_version = tables[Case].pick, tables[PlanVersion].pick
        case_defaults, version_defaults = tables[Case].defaults, tables[PlanVersion].defaults
        self.rows[tables[Case]] = [pick_case({**case_defaults, **case}) for case in self.cases]
        for version, case in self.versions:
            version["content"]["reference"] = case["reference"]
            version["content"] = json.dumps(version["content"])
        self.rows[tables[PlanVersion]] = [
            pick_version({**version_defaults, **version}) for version, _case in self.versions
        ]
        for table in tables.values():  # in MODELS' order: what rows point at goes first
            _write(table, self.rows[table])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), MODELS):
                    cursor.execute(statement)
        return {table.name: len(rows) for table, rows in self.rows.items()}


def _write(table: Table, rows: list[Any]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in table.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite keeps date-times as naive UTC text (Django's format).
        if table.datetimes:
            indices = table.datetimes
            converted = []
            for row in rows:
                values = list(row)
                for i in indices:
                    if values[i] is not None:
                        values[i] = values[i].astimezone(UTC).replace(tzinfo=None)
                converted.append(values)
            rows = converted
        marks = ", ".join("%s" for _ in table.columns)
        insert = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(insert, rows)


EVALUATION = "Iedereen komt weer samen in het buurthuis."


def make_seeder(seed: int) -> Seeder:
    """A seeder for the staff and regions present (the demo's, see ``personas.ensure_staff``)."""
    regions = list(Region.objects.order_by("pk").values_list("pk", flat=True))
    managers: dict[int, int] = {}
    for manager in (
        User.objects.filter(is_regional_manager=True)
        .prefetch_related("managed_regions")
        .order_by("pk")
    ):
        for region in manager.managed_regions.all():
            managers.setdefault(region.pk, manager.pk)
    coordinators: dict[int, list[int]] = defaultdict(list)
    for profile in CoordinatorProfile.objects.prefetch_related("regions").order_by("pk"):
        for region in profile.regions.all():
            coordinators[region.pk].append(profile.user_id)
    municipalities: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, region_id, name in Municipality.objects.order_by("pk").values_list(
        "pk", "region_id", "name"
    ):
        municipalities[region_id].append((pk, name))
    active = Counter(
        Assignment.objects.filter(state__in=ACTIVE_ASSIGNMENT_STATES).values_list(
            "coordinator_id", flat=True
        )
    )
    financiers: dict[str, list[int]] = defaultdict(list)
    for pk, kind in Organisation.objects.order_by("pk").values_list("pk", "kind"):
        financiers[kind].append(pk)
    researcher = (
        User.objects.filter(is_researcher=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    # Seeding twice with the same seed gives other cases (and other respondents' codes).
    after = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return Seeder(
        random.Random(f"{seed}-{after}"),  # noqa: S311 - made-up data
        random.Random(f"{seed}-{after}-research"),  # noqa: S311
        regions,
        managers,
        dict(coordinators),
        dict(municipalities),
        dict(financiers),
        researcher,
        active,
    )


def seed(
    count: int, *, seed: int = 2026, batch: int = 5000
) -> Iterator[tuple[int, dict[str, int]]]:
    """Add ``count`` cases with statuses in the demo's proportions; yields the cases done so
    far and the rows written per table in the last batch.

    A thread makes the next batch while this one is written: making rows is Python's work,
    taking them in (indexes, constraints) the database server's, and the two overlap."""
    seeder = make_seeder(seed)
    seeder.number()
    sizes = [min(batch, count - done) for done in range(0, count, batch)]
    made: queue.Queue[Batch | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(item: Batch | BaseException) -> None:
        while not stop.is_set():  # until the writing thread takes it, or gave up
            with contextlib.suppress(queue.Full):
                made.put(item, timeout=0.5)
                return

    def produce() -> None:
        try:
            for size in sizes:
                hand(seeder.make(size))
        except BaseException as error:  # handed to the writing thread, which raises it
            hand(error)

    producer = threading.Thread(target=produce, name="seed-rows", daemon=True)
    producer.start()
    done = 0
    try:
        for size in sizes:
            next_batch = made.get()
            if isinstance(next_batch, BaseException):
                raise next_batch
            with transaction.atomic():
                _skip_checks()
                written = next_batch.write(seeder.tables)
            done += size
            yield done, written
    finally:
        stop.set()
        producer.join()
    # PostgreSQL: fresh statistics, so that the next query is planned for the data as it is
    # (a research export planned on the statistics of empty tables ran several times slower).
    if connection.vendor != "postgresql":
        return
    # VACUUM as well where it can run (not inside a transaction, as in a test): it sets the
    # visibility map that autovacuum would set on a database in use some time later, so that
    # counts are answered from the index (the case list's count over a manager's 40,000
    # cases: a heap scan of 7,300 blocks without it).
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in MODELS:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def _skip_checks() -> None:
    """PostgreSQL: no foreign-key checks in this transaction, where allowed (a superuser, as
    on a benchmark's or a developer's database). They would cost as much as the inserts, and
    every row points at rows made in the same run or read from the database; the tests seed
    on SQLite, which checks every foreign key at commit."""
    if connection.vendor != "postgresql":
        return
    with contextlib.suppress(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
