"""The follow-up's part of the personal data (registered by FollowupConfig.ready()): research
consent and its log, and who was asked what in each follow-up."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from kring.cases.models import Case
from kring.circle.models import Participant
from kring.core.personal_data import Export, Part, Person, register
from kring.followup.models import (
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)


def anonymise(case: Case) -> None:
    # The follow-up keeps its answers by code and category (the respondent row holds a copy
    # of the category); the remark may name people, and the link to the participant would tie
    # the answers to the rest of what the case kept about them.
    Respondent.objects.filter(follow_up__case=case).update(
        remark="", participant=None, version=F("version") + 1
    )


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def export(person: Person) -> Export:
    """Their research consent with its log, and every follow-up they were asked in: the
    code, the contacts, and their answers."""
    participant: Participant | None = person.participant
    if participant is None:
        return {}
    respondents = (
        Respondent.objects.filter(participant=participant)
        .select_related("follow_up")
        .prefetch_related("outcomes__agreement", "attempts")
        .order_by("follow_up__due_on", "pk")
    )
    return {
        "research": {
            "consent": participant.research_consent,
            "consent_log": [
                {"given": c.given, "at": c.at.isoformat(), "via": c.via}
                for c in ConsentChange.objects.filter(participant=participant).order_by("at", "pk")
            ],
            "follow_ups": [
                {
                    "months": r.follow_up.months,
                    "due_on": _date(r.follow_up.due_on),
                    "code": r.code,
                    "invited_at": _date(r.invited_at),
                    "reminders": r.reminders,
                    "declined_at": _date(r.declined_at),
                    "answered_at": _date(r.answered_at),
                    "answered_via": r.answered_via,
                    "answers": None
                    if r.answered_at is None
                    else {
                        "agreements": [
                            {"agreement": o.agreement.what, "outcome": o.outcome}
                            for o in sorted(
                                r.outcomes.all(),
                                key=lambda o: (o.agreement.order, o.agreement.pk),
                            )
                        ],
                        "better": r.better,
                        "satisfaction": r.satisfaction,
                        "recommend": r.recommend,
                        "new_conference": r.new_conference,
                        "remark": r.remark,
                    },
                    "contacts": [
                        {
                            "at": a.at.isoformat(),
                            "kind": a.kind,
                            "channel": a.channel,
                            "outcome": a.outcome,
                        }
                        for a in r.attempts.all()
                    ],
                }
                for r in respondents
            ],
        }
    }


def erase(person: Person) -> None:
    """Their consent and its log go, so nobody asks them again; a follow-up still open counts
    them as declined. Answers they gave stay for the research by code and category (the
    respondent keeps a copy of the category), without their remark and without the link to
    them."""
    participant: Participant | None = person.participant
    if participant is None:
        return
    now = timezone.now()
    respondents = Respondent.objects.filter(participant=participant)
    respondents.filter(
        follow_up__state__in=[FollowUp.State.PLANNED, FollowUp.State.OPEN],
        answered_at__isnull=True,
        declined_at__isnull=True,
    ).update(declined_at=now)
    respondents.update(remark="", participant=None, version=F("version") + 1)
    ConsentChange.objects.filter(participant=participant).delete()
    Participant.objects.filter(pk=participant.pk).update(research_consent=None)


# Outcomes and contact attempts hang on a respondent: they name no one once its link to the
# participant and its remark are gone.
register(
    Part(
        "followup",
        (Respondent, AgreementOutcome, ContactAttempt, ConsentChange),
        order=60,
        anonymise=anonymise,
        export=export,
        erase=erase,
    )
)
