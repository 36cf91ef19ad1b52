"""The one way views reach follow-ups and respondents.

Researchers reach every follow-up: they work nationally, and see study IDs, codes and
categories, never a name or a way to reach someone. Nobody else reaches a follow-up here; the
regional manager prints the letters for respondents without email from the case itself
(:func:`letters_for`). Outside the scope is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kring.accounts.models import User
from kring.cases.models import Case
from kring.circle.models import research_approachable
from kring.followup.models import FollowUp, Respondent


def follow_ups_for(user: User | object) -> QuerySet[FollowUp]:
    if not isinstance(user, User) or not user.is_active or not user.is_researcher:
        return FollowUp.objects.none()
    return FollowUp.objects.all()


def get_follow_up(user: User | object, pk: int) -> FollowUp:
    follow_up = follow_ups_for(user).select_related("case", "case__region").filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    return follow_up


def respondents_for(user: User | object) -> QuerySet[Respondent]:
    return Respondent.objects.filter(follow_up__in=follow_ups_for(user))


def get_respondent(user: User | object, follow_up: FollowUp, pk: int) -> Respondent:
    respondent = respondents_for(user).filter(follow_up=follow_up, pk=pk).first()
    if respondent is None:
        raise Http404
    return respondent


def letters_for(case: Case) -> QuerySet[Respondent]:
    """Respondents of an open follow-up of ``case`` who have no email: their invitation goes
    by letter, printed by the case's regional manager (the view checks the manager)."""
    return Respondent.objects.filter(
        research_approachable("participant__"),
        follow_up__case=case,
        follow_up__state=FollowUp.State.OPEN,
        participant__isnull=False,
        participant__email="",
        answered_at__isnull=True,
        declined_at__isnull=True,
    ).select_related("participant", "follow_up")
