"""A new conference from an old one (phase 7: "a new conference can start from the case").

When the follow-up shows the plan did not hold, or the circle asks for another meeting, the
regional manager starts a new case from the old one. The new case starts at the intake: the
manager has already picked it up, so it skips the inbox, and the intake and the funding start
anew. What carries over is the request (variant, place, the requester, what is going on,
the wishes for the coordinator), the conference questions as a starting point, and the circle
with its contact details and needs. What does not carry over:

- anyone who said no to taking part: a "no" is final and never chased;
- anyone who asked to be erased (erasure requested or carried out);
- willingness (everyone is asked again), being informed, written views, research consent
  (consent is asked for each conference), the coordinator, bottom lines, funding, intake
  notes, the plan.

The old case keeps a link both ways (``Case.previous``, ``case.follow_on_cases``) and a history
entry ``case.follow_on`` on each side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kring.accounts.models import User
from kring.audit.models import ANONYMISED, ERASED, ErasureRequest
from kring.cases.access import cases_for, manages
from kring.cases.lifecycle import CaseError, change_status, touch
from kring.cases.models import Case, CaseAction, ConferenceQuestion, Status
from kring.cases.personal_data import erased_requester
from kring.circle.models import Participant, Willingness

# A new conference grows from a case whose plan has been tried: in follow-up or closed. Not in
# aftercare: the coordinator still holds the circle then, and the same people would be
# approached for two conferences at once; the handover to follow-up comes within days.
FOLLOW_ON_FROM = frozenset({Status.FOLLOW_UP, Status.CLOSED})


class FollowOnExists(CaseError):
    """The case already has a new conference; starting another needs an explicit yes."""

    def __init__(self, message: str, later: Case) -> None:
        super().__init__(message)
        self.later = later


@dataclass
class Left:
    """Someone of the circle who is not copied, and why."""

    participant: Participant
    reason: str


@dataclass
class Preview:
    """What :func:`follow_on` will copy from ``case``, for the page that asks to confirm."""

    case: Case
    questions: list[str]
    copied: list[Participant]
    left: list[Left]
    requester_erased: bool
    later: list[Case] = field(default_factory=list)
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        return self.problem is None


def _anonymised(case: Case) -> bool:
    return case.requester_name == ANONYMISED


def problem(case: Case) -> str | None:
    """Why no new conference can start from ``case`` now, or None."""
    if _anonymised(case):
        return _(
            "This case was anonymised after its retention period: there is nothing left to "
            "start a new conference from."
        )
    if case.status not in FOLLOW_ON_FROM:
        return _(
            "A new conference can start from a case in follow-up or a closed case; this case "
            "is “%(status)s”."
        ) % {"status": case.get_status_display()}
    return None


def _erasures(case: Case) -> tuple[set[int], bool]:
    """The participants with an erasure request (asked for or carried out), and whether the
    requester has one: their data must not escape the erasure into a new case."""
    people: set[int] = set()
    requester = False
    for kind, person_id in ErasureRequest.objects.filter(case=case).values_list(
        "kind", "person_id"
    ):
        if kind == ErasureRequest.Kind.PARTICIPANT:
            people.add(person_id)
        else:
            requester = True
    return people, requester


def preview(case: Case) -> Preview:
    """Who and what would be copied (four queries, whatever the size of the circle)."""
    erased, requester_erased = _erasures(case)
    copied: list[Participant] = []
    left: list[Left] = []
    for person in Participant.objects.filter(case=case).order_by("name", "pk"):
        if person.pk in erased:
            left.append(Left(person, _("asked to have their data erased")))
        elif person.willingness == Willingness.NO:
            left.append(Left(person, _("said no to taking part: a no is final")))
        else:
            copied.append(person)
    return Preview(
        case=case,
        questions=list(case.questions.order_by("position", "pk").values_list("text", flat=True)),
        copied=copied,
        left=left,
        requester_erased=requester_erased,
        later=list(case.follow_on_cases.order_by("requested_at", "pk")),
        problem=problem(case),
    )


def _description(case: Case, requester_erased: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        first = _("Follows on from %(reference)s.") % {"reference": case.reference}
    story = ERASED if requester_erased else case.description
    limit = Case._meta.get_field("description").max_length or 4000
    return f"{first}\n\n{story}"[:limit]


def _new_case(case: Case, user: User, requester_erased: bool, now: dt.datetime) -> Case:
    requester: dict[str, object] = {
        "requester_name": case.requester_name,
        "requester_email": case.requester_email,
        "requester_phone": case.requester_phone,
        "requester_organisation": case.requester_organisation,
        "address": case.address,
        "postcode": case.postcode,
        "municipality_name": case.municipality_name,
        "involved": case.involved,
    }
    if requester_erased:  # as erasing the requester leaves a case
        erased = erased_requester(case)
        requester.update({name: erased[name] for name in requester})
    new = Case(
        previous=case,
        variant=case.variant,
        urgency=case.urgency,
        region=case.region,
        municipality=case.municipality,
        place=case.place,
        description=_description(case, requester_erased),
        coordinator_language=case.coordinator_language,
        coordinator_gender=case.coordinator_gender,
        requester_relation=case.requester_relation,
        requester_language=case.requester_language,
        # The requester's consent to the processing of their details, given for the request
        # this case grew from; its proof travels with the details.
        consent_at=case.consent_at,
        channel=case.channel,
        entered_by=user,
        requested_at=now,
        status_changed_at=now,
        **requester,
    )
    new.save()
    return new


def _copy_circle(people: list[Participant], new: Case, now: dt.datetime) -> int:
    """Copy the circle: contact details and needs; willingness, consent and being informed
    start anew. Who suggested whom is kept where both are copied."""
    copies = {
        person.pk: Participant(
            case=new,
            name=person.name,
            email=person.email,
            phone=person.phone,
            postal_address=person.postal_address,
            language=person.language,
            category=person.category,
            organisation=person.organisation,
            interpreter=person.interpreter,
            accessibility=person.accessibility,
            childcare=person.childcare,
            transport=person.transport,
            diet=person.diet,
            diet_note=person.diet_note,
            willingness=Willingness.UNKNOWN,
            research_consent=None,
            created_at=now,
        )
        for person in people
    }
    Participant.objects.bulk_create(list(copies.values()))
    suggested = []
    for person in people:
        copy = copies[person.pk]
        if person.suggested_by_id in copies:
            copy.suggested_by = copies[person.suggested_by_id]
            suggested.append(copy)
    if suggested:
        Participant.objects.bulk_update(suggested, ["suggested_by"])
    return len(copies)


def follow_on(case: Case, user: User, *, version: int | None = None, another: bool = False) -> Case:
    """Start a new conference from ``case``; return the new case (status intake).

    ``version`` is the case's version the manager saw: a second submit of the same form is
    refused as stale. When the case already has a new conference, ``another`` must say yes
    to a second one, or :class:`FollowOnExists` is raised.
    """
    if not manages(user, case):
        raise CaseError(_("You may not make this change to this case."))
    reason = problem(case)
    if reason is not None:
        raise CaseError(reason)
    later = case.follow_on_cases.order_by("-requested_at", "-pk").first()
    if later is not None and not another:
        raise FollowOnExists(
            _(
                "A new conference was already started from this case: %(reference)s, on "
                "%(day)s. Tick the box to start another one."
            )
            % {
                "reference": later.reference,
                "day": formats.date_format(timezone.localtime(later.requested_at), "j F Y, H:i"),
            },
            later,
        )
    now = timezone.now()
    with transaction.atomic():
        # Claim the old case on the version the manager saw: a double submit stops here.
        touch(case, case.version if version is None else version)
        look = preview(case)
        new = _new_case(case, user, look.requester_erased, now)
        ConferenceQuestion.objects.bulk_create(
            ConferenceQuestion(case=new, text=text, position=i)
            for i, text in enumerate(look.questions)
        )
        people = _copy_circle(look.copied, new, now)
        new.log(
            CaseAction.CASE_FOLLOW_ON,
            user=user,
            to_status=Status.REQUESTED,
            data={
                "previous": case.reference,
                "people_copied": people,
                "questions_copied": len(look.questions),
                "not_copied": len(look.left),
            },
        )
        change_status(new, Status.INTAKE, user=user)
        case.log(CaseAction.CASE_FOLLOW_ON, user=user, data={"follow_on": new.reference})
    return new


# --- For the case page ----------------------------------------------------------------


@dataclass
class Link:
    reference: str
    visible: bool  # the user may open it: a link; otherwise the reference as text


@dataclass
class Links:
    """Both directions of the follow-on link, for the case page."""

    previous: Link | None
    later: list[Link]
    may_start: bool
    has_follow_ups: bool


def links(case: Case, user: User, *, is_manager: bool) -> Links:
    """The case this one follows on from, the new conferences started from it (as links where
    the user may open them), and what a manager may do (at most four queries)."""
    previous = (
        Case.objects.filter(pk=case.previous_id).values_list("pk", "reference").first()
        if case.previous_id
        else None
    )
    later = list(
        Case.objects.filter(previous=case)
        .order_by("requested_at", "pk")
        .values_list("pk", "reference")
    )
    related = [pk for pk, _reference in ([previous] if previous else []) + later]
    visible = (
        set(cases_for(user).filter(pk__in=related).values_list("pk", flat=True))
        if related
        else set()
    )
    return Links(
        previous=Link(previous[1], previous[0] in visible) if previous else None,
        later=[Link(reference, pk in visible) for pk, reference in later],
        may_start=is_manager and problem(case) is None,
        has_follow_ups=is_manager and case.follow_ups.exists(),
    )
