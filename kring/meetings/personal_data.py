"""The meeting's part of the personal data (registered by MeetingsConfig.ready()): the venue
and its arrangements, date answers, invitations and attendance."""

from __future__ import annotations

from kring.cases.models import Case
from kring.core.personal_data import Export, Part, Person, register
from kring.meetings.models import Attendance, DateAnswer, Invitation, Meeting


def anonymise(case: Case) -> None:
    Meeting.objects.filter(case=case).update(
        venue_name="", venue_address="", catering="", interpreters=""
    )


def export(person: Person) -> Export:
    """Their date answers and invitations with the person; their attendance with the plan
    (the conference they were in the room for)."""
    participant = person.participant
    if participant is None:
        return {}
    return {
        "person": {
            "date_answers": [
                {"date": a.option.starts_at.isoformat(), "answer": a.answer}
                for a in DateAnswer.objects.filter(participant=participant).select_related("option")
            ],
            "deliveries": [
                {"kind": i.kind, "channel": i.channel, "at": i.created_at.isoformat()}
                for i in Invitation.objects.filter(participant=participant)
            ],
        },
        "plan": {
            "attendance": [
                {
                    "information": a.information,
                    "private_time": a.private_time,
                    "plan": a.plan,
                    "recorded_at": a.recorded_at.isoformat(),
                }
                for a in Attendance.objects.filter(participant=participant).order_by("pk")
            ],
        },
    }


# Date answers, invitations and attendance name no one once the participant is anonymised or
# erased: they keep only the link to the participant and what was answered or recorded.
register(
    Part(
        "meetings",
        (Meeting, DateAnswer, Invitation, Attendance),
        order=30,
        anonymise=anonymise,
        export=export,
    )
)
