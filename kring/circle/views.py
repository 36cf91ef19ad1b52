"""The coordinator's (and manager's) pages for the circle of a case."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.access import get_people_case, messages_for
from kring.cases.forms import VersionForm, on_version
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case
from kring.circle import links, services
from kring.circle.access import get_participant_for_user
from kring.circle.forms import (
    ContactForm,
    InformationNeedForm,
    MergeParticipantForm,
    ParticipantForm,
    RemoveParticipantForm,
    RevokeLinksForm,
    WillingnessForm,
)
from kring.circle.models import ContactMoment, InformationNeed, Participant
from kring.circle.picture import circle_rings, circle_svg
from kring.core.downloads import attachment

CASE_ROLES = (Role.REGIONAL_MANAGER, Role.COORDINATOR)


def _circle_context(case: Case, **extra: object) -> dict[str, object]:
    participants = list(
        Participant.objects.filter(case=case)
        .select_related("suggested_by")
        .annotate(contact_count=Count("contacts"))
        .order_by("name", "pk")
    )
    found = services.duplicates(participants)
    for participant in participants:
        participant.possible_duplicates = found.get(participant.pk, [])  # type: ignore[attr-defined]
    counts = {
        value: sum(1 for p in participants if p.willingness == value)
        for value in ("yes", "not_yet", "no", "unknown")
    }
    return {
        "case": case,
        "participants": participants,
        "counts": counts,
        "circle_svg": circle_svg(
            participants, title=_("The circle of %(place)s") % {"place": case.place}
        ),
        "circle_rings": circle_rings(participants),
        "needs": list(InformationNeed.objects.filter(case=case).select_related("answered_by")),
        "form": extra.pop("form", None) or ParticipantForm(case=case),
        "need_form": extra.pop("need_form", None)
        or InformationNeedForm(case=case, auto_id="need_%s"),
        "editable": not case.is_finished,
        **extra,
    }


@roles_required(*CASE_ROLES)
def circle(request: HttpRequest, reference: str) -> HttpResponse:
    """The circle: the picture, everyone in it, and a form to add someone."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        context = _circle_context(case)
        audit.record(
            request,
            action="view",
            object_type="circle",
            object_id=case.pk,
            case_reference=case.reference,
            people=[audit.Person("participant", p.pk) for p in context["participants"]],  # type: ignore[attr-defined]
        )
        return render(request, "circle/circle.html", context)
    form = ParticipantForm(request.POST, case=case)
    if form.is_valid():
        try:
            participant = services.add_participant(case, form.details(), user=staff_user(request))
        except CaseError as failure:
            context = _circle_context(case, form=form, error=failure.message)
            return render(request, "circle/circle.html", context, status=409)
        messages.success(
            request, _("%(name)s is added to the circle.") % {"name": participant.name}
        )
        return redirect("circle", reference=case.reference)
    return render(request, "circle/circle.html", _circle_context(case, form=form), status=400)


def _participant_context(participant: Participant, **extra: object) -> dict[str, object]:
    case = participant.case
    others = list(Participant.objects.filter(case=case).exclude(pk=participant.pk))
    return {
        "case": case,
        "participant": participant,
        "possible_duplicates": services.duplicates([participant, *others]).get(participant.pk, []),
        "contacts": list(
            ContactMoment.objects.filter(participant=participant).select_related("by")
        ),
        "suggested": list(participant.suggested.order_by("name")),
        "active_link": links.valid_links(participant).first(),
        "valid_links": links.valid_links(participant).count(),
        "revoke_form": extra.pop("revoke_form", None) or RevokeLinksForm(auto_id="revoke_%s"),
        "form": extra.pop("form", None)
        or ParticipantForm(
            instance=participant, case=case, initial={"version": participant.version}
        ),
        "contact_form": extra.pop("contact_form", None) or ContactForm(auto_id="contact_%s"),
        "willingness_form": extra.pop("willingness_form", None)
        or WillingnessForm(
            initial={"willingness": participant.willingness, "version": participant.version},
            auto_id="willing_%s",
        ),
        "editable": not case.is_finished,
        "removal_refusal": services.removal_refusal(participant),
        "remove_form": extra.pop("remove_form", None) or RemoveParticipantForm(auto_id="remove_%s"),
        "merge_form": extra.pop("merge_form", None)
        or MergeParticipantForm(participant=participant, auto_id="merge_%s"),
        "has_others": bool(others),
        **extra,
    }


@roles_required(*CASE_ROLES)
def participant_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    participant = get_participant_for_user(request, reference, pk)
    if request.method != "POST":
        context = _participant_context(participant)
        # What was sent to this person (issue 14): the coordinator can open each message.
        context["sent_messages"] = list(
            messages_for(request.user)
            .filter(participant=participant)
            .only("pk", "subject", "created_at", "status")
        )
        # The page names everyone in the circle too (the "suggested by" list): log them all.
        everyone = Participant.objects.filter(case=participant.case).values_list("pk", flat=True)
        audit.record(
            request,
            action="view",
            object_type="participant",
            object_id=participant.pk,
            case_reference=participant.case.reference,
            people=[audit.Person("participant", pk) for pk in everyone],
        )
        return render(request, "circle/participant.html", context)
    form = ParticipantForm(request.POST, instance=participant, case=participant.case)
    if form.is_valid():
        try:
            services.update_participant(
                participant,
                form.details(),
                user=staff_user(request),
                version=form.cleaned_data["version"] or 0,
            )
        except CaseError as failure:
            participant.refresh_from_db()
            form = ParticipantForm(
                on_version(request.POST, participant.version),
                instance=participant,
                case=participant.case,
            )
            context = _participant_context(participant, form=form, error=failure.message)
            return render(request, "circle/participant.html", context, status=409)
        messages.success(request, _("The details are saved."))
        return redirect("participant_detail", reference=reference, pk=pk)
    participant.refresh_from_db()
    context = _participant_context(participant, form=form)
    return render(request, "circle/participant.html", context, status=400)


@require_POST
@roles_required(*CASE_ROLES)
def participant_contact(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    participant = get_participant_for_user(request, reference, pk)
    form = ContactForm(request.POST, auto_id="contact_%s")
    if form.is_valid():
        try:
            services.record_contact(participant, user=staff_user(request), **form.cleaned_data)
        except CaseError as failure:
            context = _participant_context(participant, contact_form=form, error=failure.message)
            return render(request, "circle/participant.html", context, status=409)
        messages.success(request, _("The contact is recorded."))
        return redirect("participant_detail", reference=reference, pk=pk)
    context = _participant_context(participant, contact_form=form)
    return render(request, "circle/participant.html", context, status=400)


@require_POST
@roles_required(*CASE_ROLES)
def participant_informed(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    participant = get_participant_for_user(request, reference, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        error = _("This step could not be read. Reload the page and try again.")
        context = _participant_context(participant, error=error)
        return render(request, "circle/participant.html", context, status=400)
    try:
        services.mark_informed(
            participant, user=staff_user(request), version=form.cleaned_data["version"]
        )
    except CaseError as failure:
        participant.refresh_from_db()
        context = _participant_context(participant, error=failure.message)
        return render(request, "circle/participant.html", context, status=409)
    messages.success(request, _("Recorded: %(name)s is informed.") % {"name": participant.name})
    return redirect("participant_detail", reference=reference, pk=pk)


@require_POST
@roles_required(*CASE_ROLES)
def participant_willingness(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    participant = get_participant_for_user(request, reference, pk)
    form = WillingnessForm(request.POST, auto_id="willing_%s")
    if form.is_valid():
        try:
            services.set_willingness(
                participant,
                form.cleaned_data["willingness"],
                user=staff_user(request),
                version=form.cleaned_data["version"],
            )
        except CaseError as failure:
            participant.refresh_from_db()
            context = _participant_context(participant, error=failure.message)
            return render(request, "circle/participant.html", context, status=409)
        messages.success(request, _("The answer is recorded."))
        return redirect("participant_detail", reference=reference, pk=pk)
    context = _participant_context(participant, willingness_form=form)
    return render(request, "circle/participant.html", context, status=400)


@require_POST
@roles_required(*CASE_ROLES)
def participant_link(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Send a new personal link by email (earlier links keep working)."""
    participant = get_participant_for_user(request, reference, pk)
    try:
        services.send_personal_link(participant, user=staff_user(request))
    except CaseError as error:
        context = _participant_context(participant, error=error.message)
        return render(request, "circle/participant.html", context, status=409)
    messages.success(
        request,
        _("A new personal link is on its way to %(name)s; earlier links keep working.")
        % {"name": participant.name},
    )
    return redirect("participant_detail", reference=reference, pk=pk)


@require_POST
@roles_required(*CASE_ROLES)
def participant_information_letter(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The information letter to print (PDF), for someone informed on paper."""
    participant = get_participant_for_user(request, reference, pk)
    try:
        pdf = services.information_letter(participant, user=staff_user(request))
    except CaseError as failure:
        context = _participant_context(participant, error=str(failure.message))
        return render(request, "circle/participant.html", context, status=409)
    audit.record(
        request,
        action="download",
        object_type="letter",
        object_id=participant.pk,
        case_reference=participant.case.reference,
        people=[audit.Person("participant", participant.pk)],
    )
    filename = f"{participant.case.reference}-informatie-{participant.pk}.pdf"
    return attachment(pdf, filename)


@require_POST
@roles_required(*CASE_ROLES)
def participant_links_revoke(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Stop every personal link of this person, with a reason."""
    participant = get_participant_for_user(request, reference, pk)
    form = RevokeLinksForm(request.POST, auto_id="revoke_%s")
    if not form.is_valid():
        context = _participant_context(participant, revoke_form=form)
        return render(request, "circle/participant.html", context, status=400)
    if participant.case.is_finished:
        context = _participant_context(participant, error=_("This case is finished."))
        return render(request, "circle/participant.html", context, status=409)
    count = links.revoke_by_staff(
        participant, reason=form.cleaned_data["reason"], user=staff_user(request)
    )
    messages.success(
        request,
        ngettext(
            "%(count)d personal link of %(name)s no longer works.",
            "%(count)d personal links of %(name)s no longer work.",
            count,
        )
        % {"count": count, "name": participant.name},
    )
    return redirect("participant_detail", reference=reference, pk=pk)


@require_POST
@roles_required(*CASE_ROLES)
def information_need_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_people_case(request, reference)
    form = InformationNeedForm(request.POST, case=case, auto_id="need_%s")
    if form.is_valid():
        try:
            services.add_information_need(case, user=staff_user(request), **form.cleaned_data)
        except CaseError as failure:
            context = _circle_context(case, need_form=form, error=failure.message)
            return render(request, "circle/circle.html", context, status=409)
        messages.success(request, _("The information need is added."))
        return redirect("circle", reference=reference)
    return render(request, "circle/circle.html", _circle_context(case, need_form=form), status=400)


@require_POST
@roles_required(*CASE_ROLES)
def information_need_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    need = get_object_or_404(InformationNeed.objects.select_related("case"), case=case, pk=pk)
    try:
        services.remove_information_need(need, user=staff_user(request))
    except CaseError as error:
        context = _circle_context(case, error=error.message)
        return render(request, "circle/circle.html", context, status=409)
    messages.success(request, _("The information need is removed."))
    return redirect("circle", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def participant_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Remove someone added by mistake, while nothing was sent to them."""
    participant = get_participant_for_user(request, reference, pk)
    form = RemoveParticipantForm(request.POST, auto_id="remove_%s")
    if not form.is_valid():
        context = _participant_context(participant, remove_form=form)
        return render(request, "circle/participant.html", context, status=400)
    name = participant.name
    try:
        services.remove_participant(
            participant, user=staff_user(request), reason=form.cleaned_data["reason"]
        )
    except CaseError as failure:
        context = _participant_context(participant, remove_form=form, error=failure.message)
        return render(request, "circle/participant.html", context, status=409)
    messages.success(request, _("%(name)s is removed from the circle.") % {"name": name})
    return redirect("circle", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def participant_merge(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """This person is the same as someone else in the circle: merge them into that one."""
    participant = get_participant_for_user(request, reference, pk)
    form = MergeParticipantForm(request.POST, participant=participant, auto_id="merge_%s")
    if not form.is_valid():
        context = _participant_context(participant, merge_form=form)
        return render(request, "circle/participant.html", context, status=400)
    keep = form.cleaned_data["into"]
    try:
        services.merge_participants(keep, participant, user=staff_user(request))
    except CaseError as failure:
        context = _participant_context(participant, merge_form=form, error=failure.message)
        return render(request, "circle/participant.html", context, status=409)
    messages.success(request, _("The two entries are merged into %(name)s.") % {"name": keep.name})
    return redirect("participant_detail", reference=reference, pk=keep.pk)
