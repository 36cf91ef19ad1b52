"""Follow-up moments, research consent and the questionnaire.

- :func:`schedule` plans the moments once everyone has the plan (``KRING_FOLLOW_UP_MONTHS``).
- :func:`open_due` is the worker's sweep: it claims each due moment with one conditional
  update inside the transaction that does the work, so two workers never open one moment twice
  and a worker killed halfway leaves the moment planned for the next round.
- :func:`send_reminders` reminds at most twice, never someone who declined, withdrew their
  consent or said no to taking part.
"""

from __future__ import annotations

import datetime as dt
import logging
from calendar import monthrange
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kring.accounts.models import User
from kring.cases import emails
from kring.cases.lifecycle import CaseError, change_status
from kring.cases.models import FINAL_STATUSES, Case, CaseAction, Status
from kring.circle import links
from kring.circle.models import Participant, research_approachable
from kring.followup.models import (
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
    new_code,
)
from kring.meetings.models import Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans.models import Agreement, PlanVersion

logger = logging.getLogger(__name__)

MAX_REMINDERS = 2


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def base_date(case: Case) -> dt.date:
    """What the moments count from: the meeting's day, else the day the plan was first
    finalised (a plan without a meeting), else today."""
    meeting = Meeting.objects.filter(case=case, starts_at__isnull=False).first()
    if meeting is not None and meeting.starts_at is not None and meeting.cancelled_at is None:
        return timezone.localdate(meeting.starts_at)
    first = PlanVersion.objects.filter(plan__case=case).order_by("number").first()
    if first is not None:
        return timezone.localdate(first.finalised_at)
    return timezone.localdate()


def schedule(case: Case) -> list[FollowUp]:
    """Plan the case's follow-up moments for its variant; moments already there stay."""
    start = base_date(case)
    months = settings.KRING_FOLLOW_UP_MONTHS.get(case.variant, (3,))
    FollowUp.objects.bulk_create(
        [FollowUp(case=case, months=m, due_on=add_months(start, m)) for m in months],
        ignore_conflicts=True,
    )
    return list(case.follow_ups.order_by("months"))


def add_moment(case: Case, months: int, *, user: User) -> FollowUp:
    """A further moment (6 or 12 months, say), planned like the first."""
    if case.is_finished:
        raise CaseError(_("This case is closed: no follow-up can be added."))
    if not case.follow_ups.exists():
        raise CaseError(_("The follow-up is planned once everyone has the plan."))
    if not 1 <= months <= 36:
        raise CaseError(_("Choose a number of months from 1 to 36."))
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                case=case, months=months, due_on=add_months(base_date(case), months)
            )
    except IntegrityError:
        raise CaseError(
            _("There is already a follow-up at %(months)s months.") % {"months": months}
        ) from None
    case.log(CaseAction.FOLLOW_UP_ADDED, user=user, data={"months": months})
    return follow_up


def cancel_planned(case: Case) -> int:
    """A case that ends otherwise (closed by a manager, withdrawn) is not followed up."""
    return FollowUp.objects.filter(
        case=case, state__in=[FollowUp.State.PLANNED, FollowUp.State.OPEN]
    ).update(state=FollowUp.State.CANCELLED, closed_at=timezone.now(), version=F("version") + 1)


# --- Opening ------------------------------------------------------------------------------


def approachable(case: Case) -> QuerySet[Participant]:
    """Who may be asked: research consent given, and not a "no" to taking part."""
    return (
        Participant.objects.filter(research_approachable(), case=case)
        .exclude(respondents__declined_at__isnull=False)
        .order_by("pk")
    )


def open_due(today: dt.date | None = None, *, worker: str = "", limit: int = 100) -> int:
    """Open every planned follow-up whose day has come; returns how many this call opened."""
    today = today or timezone.localdate()
    due = list(
        FollowUp.objects.filter(state=FollowUp.State.PLANNED, due_on__lte=today)
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    opened = 0
    for pk in due:
        try:
            opened += _claim_and_open(pk, worker)
        except Exception:  # one bad moment must not hold up the others, nor the outbox
            logger.exception("Opening follow-up %s failed; it stays planned", pk)
    return opened


def _claim_and_open(pk: int, worker: str) -> int:
    """Claim one moment and open it, in one transaction: a worker that dies halfway leaves it
    planned, and a second worker finds it taken."""
    with transaction.atomic():
        now = timezone.now()
        claimed = FollowUp.objects.filter(pk=pk, state=FollowUp.State.PLANNED).update(
            state=FollowUp.State.OPEN,
            opened_at=now,
            opened_by=worker[:60],
            version=F("version") + 1,
        )
        if not claimed:  # another worker has it
            return 0
        follow_up = FollowUp.objects.select_related("case").get(pk=pk)
        if follow_up.case.status in FINAL_STATUSES:
            FollowUp.objects.filter(pk=pk).update(
                state=FollowUp.State.CANCELLED, closed_at=now, version=F("version") + 1
            )
            return 0
        _open(follow_up)
        return 1


def _open(follow_up: FollowUp) -> None:
    case = follow_up.case
    people = list(approachable(case))
    respondents = []
    for person in people:
        respondents.append(
            Respondent.objects.create(
                follow_up=follow_up,
                participant=person,
                category=person.category,
                code=_code(follow_up),
            )
        )
    for respondent in respondents:
        invitee = respondent.participant
        if invitee is not None and invitee.email:
            invite_by_email(respondent, kind=ContactAttempt.Kind.INVITATION)
    case.log(
        CaseAction.FOLLOW_UP_OPENED,
        user=None,
        data={"months": follow_up.months, "respondents": len(respondents)},
    )
    if respondents:  # nobody to ask (no consent): nothing for the researchers to do
        _tell_researchers(follow_up, respondents)


def _code(follow_up: FollowUp) -> str:
    taken = set(follow_up.respondents.values_list("code", flat=True))
    code = new_code()
    while code in taken:
        code = new_code()
    return code


def invite_by_email(
    respondent: Respondent, *, kind: str, user: User | None = None
) -> OutboxMessage:
    """Email the respondent a fresh link to their own page, where the questionnaire waits."""
    person = respondent.participant
    assert person is not None and person.email  # noqa: S101 - callers check
    case = respondent.follow_up.case
    token = links.issue(person)
    template = (
        "followup_invitation" if kind == ContactAttempt.Kind.INVITATION else "followup_reminder"
    )
    email = emails.compose(
        template,
        {
            "participant": person,
            "case": case,
            "respondent": respondent,
            "follow_up": respondent.follow_up,
            "url": links.url(token),
            "research_phone": settings.KRING_RESEARCH_PHONE,
            "max_reminders": MAX_REMINDERS,
        },
        to=person.email,
        language=person.text_language,
    )
    message = outbox.store(email, purpose=f"followup.{kind}", case=case, participant=person)
    now = timezone.now()
    ContactAttempt.objects.create(
        respondent=respondent,
        at=now,
        kind=kind,
        channel=ContactAttempt.Channel.EMAIL,
        outcome=ContactAttempt.Outcome.SENT,
        by=user,
    )
    if kind == ContactAttempt.Kind.INVITATION:
        Respondent.objects.filter(pk=respondent.pk).update(invited_at=now)
        respondent.invited_at = now
    return message


def record_letter(respondent: Respondent, *, user: User) -> None:
    """The invitation letter was printed for someone without email."""
    now = timezone.now()
    ContactAttempt.objects.create(
        respondent=respondent,
        at=now,
        kind=ContactAttempt.Kind.INVITATION,
        channel=ContactAttempt.Channel.LETTER,
        outcome=ContactAttempt.Outcome.SENT,
        by=user,
    )
    Respondent.objects.filter(pk=respondent.pk, invited_at__isnull=True).update(invited_at=now)


def _tell_researchers(follow_up: FollowUp, respondents: list[Respondent]) -> None:
    """Tell every active researcher that a follow-up opened: study ID and counts, no names."""
    from kring.followup.study import study_id

    by_email = sum(1 for r in respondents if r.participant and r.participant.email)
    researchers = User.objects.filter(is_active=True, is_researcher=True).order_by("pk")
    context = {
        "follow_up": follow_up,
        "study_id": study_id(follow_up.case),
        "respondents": len(respondents),
        "by_email": by_email,
        "without_email": len(respondents) - by_email,
    }
    for address in researchers.values_list("email", flat=True):
        email = emails.compose(
            "followup_opened", context, to=address, language=settings.LANGUAGE_CODE
        )
        outbox.store(email, purpose="followup.opened")


# --- Reminders ----------------------------------------------------------------------------


def remindable() -> QuerySet[Respondent]:
    """Respondents a reminder may go to now: invited by email, open, no answer, not declined,
    consent still given, not a "no" to taking part, fewer than two reminders, and the last
    message ``KRING_FOLLOW_UP_REMINDER_DAYS`` ago."""
    cutoff = timezone.now() - dt.timedelta(days=settings.KRING_FOLLOW_UP_REMINDER_DAYS)
    return (
        Respondent.objects.filter(
            research_approachable("participant__"),
            follow_up__state=FollowUp.State.OPEN,
            answered_at__isnull=True,
            declined_at__isnull=True,
            reminders__lt=MAX_REMINDERS,
            invited_at__lt=cutoff,
            participant__email__gt="",
        )
        .filter(Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lt=cutoff))
        .exclude(follow_up__case__status__in=FINAL_STATUSES)
    )


def send_reminders(limit: int = 200) -> int:
    sent = 0
    for respondent in remindable().select_related("participant", "follow_up__case")[:limit]:
        with transaction.atomic():
            claimed = Respondent.objects.filter(
                pk=respondent.pk,
                reminders=respondent.reminders,
                answered_at__isnull=True,
                declined_at__isnull=True,
            ).update(
                reminders=F("reminders") + 1,
                last_reminder_at=timezone.now(),
                version=F("version") + 1,
            )
            if not claimed:
                continue
            respondent.reminders += 1  # the email says which reminder this is
            invite_by_email(respondent, kind=ContactAttempt.Kind.REMINDER)
            sent += 1
    return sent


def sweep(worker: str = "") -> None:
    open_due(worker=worker)
    send_reminders()


# --- Consent ------------------------------------------------------------------------------


def set_consent(
    participant: Participant, given: bool, *, via: str, user: User | None = None
) -> bool:
    """Give or withdraw research consent; every change is logged. Returns whether it changed."""
    with transaction.atomic():
        changed = (
            Participant.objects.filter(pk=participant.pk)
            .exclude(research_consent=given)
            .update(research_consent=given)
        )
        if not changed:
            return False
        participant.research_consent = given
        ConsentChange.objects.create(
            participant=participant, given=given, via=via, recorded_by=user
        )
        waiting = Respondent.objects.filter(
            participant=participant,
            follow_up__state=FollowUp.State.OPEN,
            answered_at__isnull=True,
        )
        if given:
            # They changed their mind themselves: an open moment asks them again.
            waiting.filter(declined_at__isnull=False).update(
                declined_at=None, version=F("version") + 1
            )
            _join_open_moments(participant)
        else:  # nothing more is sent, and the moment does not wait for them
            waiting.filter(declined_at__isnull=True).update(
                declined_at=timezone.now(), version=F("version") + 1
            )
    return True


def _join_open_moments(participant: Participant) -> None:
    """Consent given while a moment is already open: they are asked there too (their own
    page shows the questions at once), unless they said no to taking part."""
    if not participant.may_be_asked_for_research:
        return
    for follow_up in FollowUp.objects.filter(
        case_id=participant.case_id, state=FollowUp.State.OPEN
    ).exclude(respondents__participant=participant):
        Respondent.objects.create(
            follow_up=follow_up,
            participant=participant,
            category=participant.category,
            code=_code(follow_up),
        )


# --- The questionnaire --------------------------------------------------------------------


def agreements_of(case: Case) -> list[Agreement]:
    return list(Agreement.objects.filter(plan__case=case).order_by("order", "pk"))


def open_respondent(participant: Participant) -> Respondent | None:
    """The questionnaire waiting on the participant's own page, if any: none once they
    withdrew their consent or said no to taking part."""
    if not participant.may_be_asked_for_research:
        return None
    return (
        Respondent.objects.filter(
            participant=participant,
            follow_up__state=FollowUp.State.OPEN,
            answered_at__isnull=True,
            declined_at__isnull=True,
        )
        .select_related("follow_up")
        .order_by("follow_up__due_on")
        .first()
    )


@dataclass
class Answers:
    outcomes: dict[int, str]  # agreement pk -> outcome
    better: int
    satisfaction: int
    recommend: bool | None
    new_conference: str
    remark: str


def save_answers(
    respondent: Respondent,
    answers: Answers,
    *,
    via: str,
    user: User | None = None,
    version: int | None = None,
) -> Respondent:
    """Store the answers; a second save on a stale copy (``version``) is refused."""
    if respondent.follow_up.state != FollowUp.State.OPEN:
        raise CaseError(_("This follow-up is closed: answers can no longer be given."))
    if respondent.declined and via == Respondent.Via.OWN_PAGE:
        raise CaseError(_("You said you did not want to answer."))
    _may_be_asked(respondent)
    known = {a.pk for a in agreements_of(respondent.follow_up.case)}
    if set(answers.outcomes) - known:
        raise CaseError(_("This form could not be read. Try again."))
    now = timezone.now()
    with transaction.atomic():
        rows = Respondent.objects.filter(pk=respondent.pk, follow_up__state=FollowUp.State.OPEN)
        if version is not None:
            rows = rows.filter(version=version)
        updated = rows.update(
            better=answers.better,
            satisfaction=answers.satisfaction,
            recommend=answers.recommend,
            new_conference=answers.new_conference,
            # A researcher never sees the remark: leaving it empty keeps the one given.
            remark=answers.remark.strip()
            or (F("remark") if via == Respondent.Via.RESEARCHER else ""),
            answered_at=now,
            answered_via=via,
            entered_by=user,
            declined_at=None,
            version=F("version") + 1,
        )
        if updated != 1:
            raise CaseError(
                _("Someone else saved these answers in the meantime. Look at them again and retry.")
            )
        AgreementOutcome.objects.filter(respondent=respondent).delete()
        AgreementOutcome.objects.bulk_create(
            AgreementOutcome(respondent=respondent, agreement_id=pk, outcome=outcome)
            for pk, outcome in answers.outcomes.items()
        )
        respondent.refresh_from_db()
        respondent.follow_up.case.log(
            CaseAction.FOLLOW_UP_ANSWERED,
            user=user,
            # No code or person: the history is read by the case's staff, the answers by
            # research.
            data={"months": respondent.follow_up.months},
        )
    return respondent


def decline(respondent: Respondent) -> None:
    """The respondent does not want to answer: their research consent ends (logged), so no
    reminder and no later moment asks them again, unless they give it again themselves."""
    with transaction.atomic():
        Respondent.objects.filter(pk=respondent.pk, answered_at__isnull=True).update(
            declined_at=timezone.now(), version=F("version") + 1
        )
        if respondent.participant is not None:
            set_consent(respondent.participant, False, via=ConsentChange.Via.OWN_PAGE)


def _may_be_asked(respondent: Respondent) -> None:
    """Only someone who still consents, and did not say no to taking part, is asked."""
    person = (
        Participant.objects.filter(pk=respondent.participant_id).first()
        if respondent.participant_id
        else None
    )
    if person is None or not person.may_be_asked_for_research:
        raise CaseError(
            _("This person does not (or no longer) take part in the research: ask nothing.")
        )


def record_call(respondent: Respondent, outcome: str, *, user: User) -> ContactAttempt:
    if outcome not in ContactAttempt.Outcome.values or outcome == ContactAttempt.Outcome.SENT:
        raise CaseError(_("Choose how the call went."))
    _may_be_asked(respondent)
    return ContactAttempt.objects.create(
        respondent=respondent,
        kind=ContactAttempt.Kind.CALL,
        channel=ContactAttempt.Channel.PHONE,
        outcome=outcome,
        by=user,
    )


def close(follow_up: FollowUp, *, user: User, version: int | None = None) -> FollowUp:
    """Close an open moment; the case closes with its last moment."""
    with transaction.atomic():
        rows = FollowUp.objects.filter(pk=follow_up.pk, state=FollowUp.State.OPEN)
        if version is not None:
            rows = rows.filter(version=version)
        if (
            rows.update(
                state=FollowUp.State.CLOSED, closed_at=timezone.now(), version=F("version") + 1
            )
            != 1
        ):
            raise CaseError(
                _(
                    "Someone else changed this follow-up in the meantime. "
                    "Look at it again and retry."
                )
            )
        case = Case.objects.get(pk=follow_up.case_id)
        pending = case.follow_ups.filter(
            state__in=[FollowUp.State.PLANNED, FollowUp.State.OPEN]
        ).exists()
        if not pending and case.status == Status.FOLLOW_UP:
            change_status(case, Status.CLOSED, user=user)
    follow_up.refresh_from_db()
    return follow_up


# --- Figures ------------------------------------------------------------------------------


@dataclass
class Progress:
    respondents: int
    answered: int
    declined: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.respondents if self.respondents else None


def response_rate(follow_ups: QuerySet[FollowUp]) -> Progress:
    rows = Respondent.objects.filter(follow_up__in=follow_ups)
    return Progress(
        respondents=rows.count(),
        answered=rows.filter(answered_at__isnull=False).count(),
        declined=rows.filter(declined_at__isnull=False).count(),
    )
