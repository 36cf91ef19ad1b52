"""The coordinator's pages for the copies of the plan: each version's PDF, the list of who
does not have the plan yet, sending it, letters to print, sending again, and a copy for
someone who declined but asked for it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.access import get_people_case
from kring.cases.lifecycle import CaseError, available_transitions
from kring.cases.models import Case, Status
from kring.circle.models import Participant, Willingness
from kring.core.downloads import attachment
from kring.plans import distribution as copies
from kring.plans import document, services
from kring.plans.models import Plan, PlanVersion

CASE_ROLES = (Role.REGIONAL_MANAGER, Role.COORDINATOR)
TEMPLATE = "plans/distribution.html"


def _people_in(version: PlanVersion) -> list[int]:
    """The participants a version names: who took part, and who carries out an agreement."""
    content = version.content or {}
    named = {p["id"] for p in content.get("participants") or [] if p.get("id")}
    for agreement in content.get("agreements") or []:
        named.update(agreement.get("who_ids") or [])
    return sorted(named)


@require_GET
@roles_required(*CASE_ROLES)
def plan_pdf(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    """One version of the plan as PDF, in the language of the page."""
    case = get_people_case(request, reference)
    version = get_object_or_404(PlanVersion, plan__case=case, number=number)
    pdf = document.plan_pdf(version, translation.get_language() or "")
    audit.record(
        request,
        action="download",
        object_type="plan",
        object_id=version.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", pk) for pk in _people_in(version)],
    )
    return attachment(pdf, document.filename(version))


# --- Who has the plan -------------------------------------------------------------------


def _context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    plan = services.plan_of(case)
    version = services.latest_version(plan)
    listed = copies.copies(plan)
    declined: list[Participant] = []
    versions: list[PlanVersion] = []
    if plan.pk is not None:
        declined = list(
            Participant.objects.filter(case=case, willingness=Willingness.NO)
            .exclude(pk__in=plan.extra_recipients.values("pk"))
            .order_by("name", "pk")
        )
        versions = list(
            plan.versions.defer("content").annotate(copies=Count("deliveries")).order_by("-number")
        )
    missing = [copy for copy in listed if not copy.has_it]
    finalised = version is not None and plan.outcome == Plan.Outcome.ACCEPTED
    move_on = next(
        (
            t
            for t in available_transitions(case, staff_user(request))
            if t.target == Status.PLAN_DISTRIBUTED
        ),
        None,
    )
    return {
        "case": case,
        "plan": plan,
        "version": version,
        "finalised": finalised,
        "missing": missing,
        "have": [copy for copy in listed if copy.has_it],
        "declined": declined,
        "versions": versions,
        "everyone": finalised and not missing,
        "move_on": move_on if finalised and not missing else None,
        "error": None,
        **extra,
    }


def _shown(context: dict[str, Any]) -> list[audit.Person]:
    people = [copy.participant for copy in context["missing"] + context["have"]]
    people += context["declined"]
    return [audit.Person("participant", p.pk) for p in people]


def _page(request: HttpRequest, case: Case, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = _context(request, case, **extra)
    audit.record(
        request,
        action="view",
        object_type="plan_distribution",
        object_id=case.pk,
        case_reference=case.reference,
        people=_shown(context),
    )
    return render(request, TEMPLATE, context, status=status)


@roles_required(*CASE_ROLES)
def distribution(request: HttpRequest, reference: str) -> HttpResponse:
    """Who does not have the plan yet; POST sends it to everyone not sent it yet."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        return _page(request, case)
    plan = services.plan_of(case)
    try:
        sent = copies.distribute(plan, user=staff_user(request))
    except CaseError as failure:
        return _page(request, case, status=409, error=failure.message)
    if sent.emails or sent.letters:
        messages.success(
            request,
            ngettext("%(count)s copy sent by email", "%(count)s copies sent by email", sent.emails)
            % {"count": sent.emails}
            + ", "
            + ngettext("%(count)s letter to print.", "%(count)s letters to print.", sent.letters)
            % {"count": sent.letters},
        )
    else:
        messages.success(request, _("Everyone was sent this version already: nothing new sent."))
    return redirect("plan_distribution", reference=case.reference)


def _participant(case: Case, pk: int) -> Participant:
    return get_object_or_404(Participant, case=case, pk=pk)


@require_GET
@roles_required(*CASE_ROLES)
def plan_letter(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The letter with the plan for someone without email, with a fresh link to their own
    page. Downloading it records the letter as printed, not as delivered: that is
    :func:`plan_letter_posted`."""
    case = get_people_case(request, reference)
    participant = _participant(case, pk)
    # A letter carries a fresh link, which would revoke the one in someone's email.
    if participant.email:
        raise Http404
    plan = services.plan_of(case)
    try:
        pdf = copies.letter(plan, participant, user=staff_user(request))
    except CaseError as failure:
        return _page(request, case, status=409, error=failure.message)
    version = services.latest_version(plan)
    if version is None:  # the letter is refused without one
        raise Http404
    audit.record(
        request,
        action="download",
        object_type="plan_letter",
        object_id=participant.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", participant.pk)],
    )
    name = slugify(participant.name) or str(participant.pk)
    return attachment(pdf, document.filename(version).replace(".pdf", f"-{name}.pdf"))


@require_POST
@roles_required(*CASE_ROLES)
def plan_letter_posted(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Record that the printed letter with the plan was posted: then the person has it."""
    case = get_people_case(request, reference)
    participant = _participant(case, pk)
    try:
        copies.posted(services.plan_of(case), participant, user=staff_user(request))
    except CaseError as failure:
        return _page(request, case, status=409, error=failure.message)
    messages.success(
        request,
        _("Recorded: the letter with the plan to %(name)s is posted.") % {"name": participant.name},
    )
    return redirect("plan_distribution", reference=case.reference)


@require_POST
@roles_required(*CASE_ROLES)
def plan_resend(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Send the email with the plan again (a failed or waiting copy, a corrected address)."""
    case = get_people_case(request, reference)
    participant = _participant(case, pk)
    try:
        copies.resend(services.plan_of(case), participant, user=staff_user(request))
    except CaseError as failure:
        return _page(request, case, status=409, error=failure.message)
    messages.success(request, _("The plan is sent again to %(name)s.") % {"name": participant.name})
    return redirect("plan_distribution", reference=case.reference)


@require_POST
@roles_required(*CASE_ROLES)
def plan_recipient_add(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Someone who declined to take part asked for the plan: they get a copy too."""
    case = get_people_case(request, reference)
    participant = _participant(case, pk)
    plan = services.plan_of(case)
    try:
        if plan.pk is None:
            raise CaseError(_("Finalise the plan first."))
        copies.add_recipient(plan, participant, user=staff_user(request))
    except CaseError as failure:
        return _page(request, case, status=409, error=failure.message)
    messages.success(
        request,
        _("%(name)s gets a copy of the plan: send it with the button below.")
        % {"name": participant.name},
    )
    return redirect("plan_distribution", reference=case.reference)
