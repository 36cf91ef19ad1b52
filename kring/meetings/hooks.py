"""The meeting's part in the case lifecycle (registered by MeetingsConfig.ready())."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases.models import Case, Status
from kring.cases.next_step import NextStep, coordinator_step, link
from kring.meetings.models import Meeting


@coordinator_step(Status.SCHEDULED)
def prepare_or_record_the_meeting(case: Case, user: User) -> NextStep | None:
    """Before the meeting: its place, food and invitations; after it: the conference record."""
    meeting = Meeting.objects.filter(case=case, cancelled_at__isnull=True).first()
    if meeting is not None and meeting.starts_at and meeting.starts_at <= timezone.now():
        return link(
            "conference",
            case,
            _("The meeting has taken place: record who came and what was decided."),
            _("Record the conference"),
        )
    if meeting is not None and not meeting.invitations.exists():
        return link(
            "meeting",
            case,
            _("Set the place and food, then send the invitations."),
            _("Place, food and invitations"),
        )
    return link(
        "meeting",
        case,
        _("Prepare the meeting: the place, the food, the invitations."),
        _("Place, food and invitations"),
    )
