"""The regional manager's part of the follow-up: a case's follow-up moments (counts, never
answers) and the invitation letters to print for respondents without email.

Only the managers of the case's region reach these pages (``get_managed_case``); anyone else
gets a 404. The manager sees the case's people anyway, so the letters list their names.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.access import get_managed_case
from kring.core.downloads import attachment
from kring.followup import access, letters
from kring.followup.models import ContactAttempt, FollowUp


@require_GET
@roles_required(Role.REGIONAL_MANAGER)
def case_follow_up(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    moments = list(
        FollowUp.objects.filter(case=case)
        .annotate(
            respondent_count=Count("respondents"),
            answered_count=Count("respondents", filter=Q(respondents__answered_at__isnull=False)),
            declined_count=Count("respondents", filter=Q(respondents__declined_at__isnull=False)),
        )
        .order_by("months", "pk")
    )
    to_print = list(
        access.letters_for(case)
        .annotate(
            printed_at=Max(
                "attempts__at", filter=Q(attempts__channel=ContactAttempt.Channel.LETTER)
            )
        )
        .order_by("follow_up__due_on", "participant__name", "pk")
    )
    audit.record(
        request,
        action="view",
        object_type="case_follow_up",
        object_id=case.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", r.participant_id) for r in to_print],
    )
    return render(
        request,
        "followup/case_follow_up.html",
        {"case": case, "moments": moments, "letters": to_print},
    )


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def letter(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The invitation letter for participant ``pk`` (without email), with a fresh link to their
    own page; printing it records the invitation as sent by letter. A POST: printing issues a
    new link, so a prefetch or a reload must not."""
    case = get_managed_case(request, reference)
    respondent = (
        access.letters_for(case).filter(participant_id=pk).order_by("follow_up__due_on").first()
    )
    if respondent is None or respondent.participant is None:
        raise Http404
    pdf = letters.print_invitation(respondent, user=staff_user(request))
    audit.record(
        request,
        action="download",
        object_type="follow_up_letter",
        object_id=respondent.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", respondent.participant_id)],
    )
    return attachment(pdf, letters.filename(respondent))
