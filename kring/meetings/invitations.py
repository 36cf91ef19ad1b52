"""Invitations, updates, cancellations and reminders for the meeting.

Everyone who said yes is invited: by email, with an ``.ics`` event and a fresh link to their
own page, or — without an email address — by a printed letter (PDF) with the link on it. Each
delivery is one ``Invitation`` row per participant, kind and SEQUENCE, so nothing goes twice,
also when two workers run at once. Nobody who said no receives anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kring.accounts.models import User
from kring.cases.lifecycle import CaseError
from kring.circle import links
from kring.circle.models import Participant, Willingness
from kring.meetings.calendar import meeting_ics
from kring.meetings.letters import invitation_letter_pdf
from kring.meetings.models import Invitation, Meeting
from kring.messaging import emails, outbox
from kring.messaging.models import OutboxMessage

logger = logging.getLogger("kring.invitations")

Kind = Invitation.Kind


@dataclass
class Sent:
    emails: int = 0
    letters: int = 0
    skipped_declined: int = 0


def invitees(meeting: Meeting) -> list[Participant]:
    """Everyone who takes part. Those who said no are never among them."""
    return list(
        Participant.objects.filter(case=meeting.case, willingness=Willingness.YES).order_by(
            "name", "pk"
        )
    )


def _kind_for(meeting: Meeting, participant: Participant, invited: dict[int, int]) -> str | None:
    """What this participant should receive now: nothing if they have the current version."""
    last = invited.get(participant.pk)
    if last is None:
        return Kind.INVITATION
    if last < meeting.sequence:
        return Kind.UPDATE
    return None


def send(meeting: Meeting, *, user: User | None) -> Sent:
    """Invite everyone who said yes and has not got the current version of the meeting (new
    people: an invitation; people invited before a change of date or place: an update)."""
    if not meeting.is_scheduled:
        raise CaseError(_not_scheduled())
    sent = Sent()
    invited: dict[int, int] = {}  # participant → the highest SEQUENCE they received
    for participant_id, sequence in Invitation.objects.filter(
        meeting=meeting, kind__in=[Kind.INVITATION, Kind.UPDATE]
    ).values_list("participant_id", "sequence"):
        invited[participant_id] = max(sequence, invited.get(participant_id, -1))
    for participant in invitees(meeting):
        kind = _kind_for(meeting, participant, invited)
        if kind is None:
            continue
        if _deliver(meeting, participant, kind):
            if participant.email:
                sent.emails += 1
            else:
                sent.letters += 1
    if user is not None:
        meeting.case.log(
            "meeting.invitations",
            user=user,
            data={"emails": sent.emails, "letters": sent.letters, "sequence": meeting.sequence},
        )
    return sent


def cancel_all(meeting: Meeting, *, user: User | None) -> int:
    """Tell everyone who was invited that the meeting is cancelled."""
    invited = set(
        Invitation.objects.filter(meeting=meeting, kind__in=[Kind.INVITATION, Kind.UPDATE])
        .values_list("participant_id", flat=True)
        .distinct()
    )
    count = 0
    for participant in Participant.objects.filter(pk__in=invited).exclude(
        willingness=Willingness.NO
    ):
        if _deliver(meeting, participant, Kind.CANCELLATION):
            count += 1
    return count


def _deliver(meeting: Meeting, participant: Participant, kind: str) -> bool:
    """One delivery, recorded first; False if it was already made (another worker, a retry)."""
    if participant.declined:
        return False
    channel = Invitation.Channel.EMAIL if participant.email else Invitation.Channel.LETTER
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                meeting=meeting,
                participant=participant,
                kind=kind,
                channel=channel,
                sequence=meeting.sequence,
            )
            if channel == Invitation.Channel.EMAIL:
                token = links.issue(participant)
                invitation.message = _email(meeting, participant, kind, links.url(token))
                invitation.save(update_fields=["message"])
    except IntegrityError:
        return False
    return True


def _email(meeting: Meeting, participant: Participant, kind: str, url: str) -> OutboxMessage:
    method = "CANCEL" if kind == Kind.CANCELLATION else "REQUEST"
    email = emails.compose(
        f"meeting_{kind}",
        {
            "participant": participant,
            "case": meeting.case,
            "meeting": meeting,
            "questions": list(meeting.case.questions.all()),
            "url": url,
        },
        to=participant.email,
        language=participant.text_language,
    )
    if kind != Kind.REMINDER:
        ics = meeting_ics(meeting, participant, method=method, portal_url=url)
        email.attach("uitnodiging.ics", ics, f"text/calendar; charset=utf-8; method={method}")
    return outbox.store(
        email, purpose=f"meeting.{kind}", case=meeting.case, participant=participant
    )


def letter(meeting: Meeting, participant: Participant) -> bytes:
    """The printable letter for someone without email: it carries a fresh personal link."""
    last = (
        Invitation.objects.filter(meeting=meeting, participant=participant)
        .order_by("-created_at", "-pk")
        .first()
    )
    kind = last.kind if last else Kind.INVITATION
    token, code = links.issue_for_letter(participant)
    pdf = invitation_letter_pdf(
        meeting, participant, kind=kind, portal_url=links.url(token), portal_code=code
    )
    if last is not None and last.channel == Invitation.Channel.LETTER:
        Invitation.objects.filter(pk=last.pk).update(printed_at=timezone.now())
    return pdf


def send_reminders(now: dt.datetime | None = None) -> int:
    """The worker's sweep: a reminder a few days before, once, only to those who said yes
    and were invited by email."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=settings.KRING_REMINDER_DAYS)
    count = 0
    meetings = Meeting.objects.filter(
        starts_at__gt=now, starts_at__lte=horizon, cancelled_at__isnull=True
    ).select_related("case")
    for meeting in meetings:
        invited = set(
            Invitation.objects.filter(
                meeting=meeting,
                kind__in=[Kind.INVITATION, Kind.UPDATE],
                channel=Invitation.Channel.EMAIL,
            ).values_list("participant_id", flat=True)
        )
        for participant in invitees(meeting):
            if participant.pk in invited and _deliver(meeting, participant, Kind.REMINDER):
                count += 1
    return count


def _not_scheduled() -> str:
    from django.utils.translation import gettext

    return gettext("Choose a date for the meeting first.")
