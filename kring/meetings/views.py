"""The coordinator's pages for the meeting: the date poll, place and food, costs, and the
invitations."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role, User
from kring.audit import log as audit
from kring.cases import confirm
from kring.cases.access import coordinates, get_people_case
from kring.cases.forms import on_version
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, Status
from kring.circle.access import get_participant_for_user
from kring.circle.models import Participant
from kring.core.downloads import attachment
from kring.meetings import invitations, services
from kring.meetings.forms import AnswerForm, CancelForm, CostForm, DateOptionForm, VenueForm
from kring.meetings.models import CostItem, DateOption, Invitation, Meeting

CASE_ROLES = (Role.REGIONAL_MANAGER, Role.COORDINATOR)


# --- Dates ------------------------------------------------------------------------------


def _dates_context(case: Case, **extra: object) -> dict[str, object]:
    found = services.poll(case)
    meeting = Meeting.objects.filter(case=case).first()
    return {
        "case": case,
        "poll": found,
        "best": found.best,
        "meeting": meeting,
        "poll_open": case.status in services.POLL_OPEN,
        "option_form": extra.pop("option_form", None) or DateOptionForm(auto_id="option_%s"),
        "answer_form": extra.pop("answer_form", None) or AnswerForm(case=case, auto_id="answer_%s"),
        **extra,
    }


@roles_required(*CASE_ROLES)
def dates(request: HttpRequest, reference: str) -> HttpResponse:
    """The date poll: propose dates, see who can when, and pick one."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        context = _dates_context(case)
        audit.record(
            request,
            action="view",
            object_type="date_poll",
            object_id=case.pk,
            case_reference=case.reference,
            people=[audit.Person("participant", r.participant.pk) for r in context["poll"].rows],  # type: ignore[attr-defined]
        )
        return render(request, "meetings/dates.html", context)
    form = DateOptionForm(request.POST, auto_id="option_%s")
    if form.is_valid():
        try:
            services.add_option(
                case,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                user=staff_user(request),
            )
        except CaseError as failure:
            return render(
                request,
                "meetings/dates.html",
                _dates_context(case, option_form=form, error=failure.message),
                status=409,
            )
        messages.success(request, _("The date is proposed."))
        return redirect("dates", reference=reference)
    return render(
        request, "meetings/dates.html", _dates_context(case, option_form=form), status=400
    )


@require_POST
@roles_required(*CASE_ROLES)
def date_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    option = get_object_or_404(DateOption, case=case, pk=pk)
    try:
        services.remove_option(option, user=staff_user(request))
    except CaseError as failure:
        return render(
            request, "meetings/dates.html", _dates_context(case, error=failure.message), status=409
        )
    messages.success(request, _("The date is withdrawn."))
    return redirect("dates", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def date_answer(request: HttpRequest, reference: str) -> HttpResponse:
    """An answer given by phone, entered by the coordinator."""
    case = get_people_case(request, reference)
    form = AnswerForm(request.POST, case=case, auto_id="answer_%s")
    if form.is_valid():
        try:
            services.answer(
                form.cleaned_data["option"],
                form.cleaned_data["participant"],
                form.cleaned_data["answer"],
                entered_by=staff_user(request),
            )
        except CaseError as failure:
            return render(
                request,
                "meetings/dates.html",
                _dates_context(case, answer_form=form, error=failure.message),
                status=409,
            )
        messages.success(request, _("The answer is recorded."))
        return redirect("dates", reference=reference)
    return render(
        request, "meetings/dates.html", _dates_context(case, answer_form=form), status=400
    )


def _may_not_choose(case: Case, user: User) -> str | None:
    """Why this user may not choose a date now (asked before the confirmation)."""
    if case.status not in (Status.PREPARATION, Status.SCHEDULED):
        return _("A date can be chosen while the case is in preparation.")
    if not coordinates(user, case):
        return _("The coordinator of the case chooses the date.")
    return None


@require_POST
@roles_required(*CASE_ROLES)
def date_choose(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    option = get_object_or_404(DateOption, case=case, pk=pk)
    refusal = _may_not_choose(case, staff_user(request))
    if refusal is not None:
        return render(
            request, "meetings/dates.html", _dates_context(case, error=refusal), status=409
        )
    if not confirm.confirmed(request):
        when = date_format(timezone.localtime(option.starts_at), "l j F Y, H:i")
        return confirm.confirmation_page(
            request,
            case,
            title=_("Choose %(when)s for the meeting?") % {"when": when},
            consequences=[
                _("The meeting is set for %(when)s and the date poll closes.") % {"when": when},
                _("The requester is told the date by email."),
                _("Then you send the invitations to the circle."),
            ],
            button=_("Yes, choose this date"),
            back=reverse("dates", args=[case.reference]),
        )
    try:
        services.schedule(case, option, user=staff_user(request))
    except CaseError as failure:
        return render(
            request, "meetings/dates.html", _dates_context(case, error=failure.message), status=409
        )
    messages.success(request, _("The meeting is scheduled. Now send the invitations."))
    return redirect("meeting", reference=reference)


# --- The meeting ------------------------------------------------------------------------


def _meeting_context(case: Case, meeting: Meeting, **extra: object) -> dict[str, object]:
    people = list(
        Participant.objects.filter(case=case)
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.filter(meeting=meeting).order_by("created_at", "pk")
                if meeting.pk
                else Invitation.objects.none(),
                to_attr="deliveries",
            )
        )
        .order_by("name", "pk")
    )
    return {
        "case": case,
        "meeting": meeting,
        "people": people,
        "catering": services.catering(case),
        "budget": services.budget(case),
        "costs": list(CostItem.objects.filter(case=case).select_related("funding__organisation")),
        "venue_form": extra.pop("venue_form", None)
        or VenueForm(instance=meeting, initial={"version": meeting.version}, auto_id="venue_%s"),
        "cost_form": extra.pop("cost_form", None) or CostForm(case=case, auto_id="cost_%s"),
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(auto_id="cancel_%s"),
        "scheduled": case.status == Status.SCHEDULED and meeting.is_scheduled,
        "outdated": invitations.outdated(meeting) if case.status == Status.SCHEDULED else [],
        **extra,
    }


@roles_required(*CASE_ROLES)
def meeting(request: HttpRequest, reference: str) -> HttpResponse:
    """Place, food and drink, interpreters, costs, and the invitations."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        # Looking changes nothing: the meeting row is made when something is saved.
        shown = Meeting.objects.filter(case=case).first() or Meeting(case=case)
        context = _meeting_context(case, shown)
        audit.record(
            request,
            action="view",
            object_type="meeting",
            object_id=case.pk,
            case_reference=case.reference,
            people=[audit.Person("participant", p.pk) for p in context["people"]],  # type: ignore[attr-defined]
        )
        return render(request, "meetings/meeting.html", context)
    found = services.meeting_for(case)
    form = VenueForm(request.POST, instance=Meeting.objects.get(pk=found.pk), auto_id="venue_%s")
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.VENUE_FIELDS}
        try:
            services.save_venue(
                found, data, user=staff_user(request), version=form.cleaned_data["version"]
            )
        except CaseError as failure:
            found.refresh_from_db()
            form = VenueForm(
                on_version(request.POST, found.version), instance=found, auto_id="venue_%s"
            )
            context = _meeting_context(case, found, venue_form=form, error=failure.message)
            return render(request, "meetings/meeting.html", context, status=409)
        messages.success(request, _("Place and food are saved."))
        return redirect("meeting", reference=reference)
    return render(
        request, "meetings/meeting.html", _meeting_context(case, found, venue_form=form), status=400
    )


@require_POST
@roles_required(*CASE_ROLES)
def cost_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_people_case(request, reference)
    found = services.meeting_for(case)
    form = CostForm(request.POST, case=case, auto_id="cost_%s")
    if form.is_valid():
        try:
            services.add_cost(case, user=staff_user(request), **form.cleaned_data)
        except CaseError as failure:
            context = _meeting_context(case, found, cost_form=form, error=failure.message)
            return render(request, "meetings/meeting.html", context, status=409)
        messages.success(request, _("The cost is added."))
        return redirect("meeting", reference=reference)
    return render(
        request, "meetings/meeting.html", _meeting_context(case, found, cost_form=form), status=400
    )


@require_POST
@roles_required(*CASE_ROLES)
def cost_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    item = get_object_or_404(CostItem.objects.select_related("case"), case=case, pk=pk)
    try:
        services.remove_cost(item, user=staff_user(request))
    except CaseError as error:
        context = _meeting_context(case, services.meeting_for(case), error=error.message)
        return render(request, "meetings/meeting.html", context, status=409)
    messages.success(request, _("The cost is removed."))
    return redirect("meeting", reference=reference)


def _sent_message(sent: invitations.Sent, *, updates: bool) -> str:
    by_email = (
        ngettext("%(count)s update sent by email.", "%(count)s updates sent by email.", sent.emails)
        if updates
        else ngettext(
            "%(count)s invitation sent by email.",
            "%(count)s invitations sent by email.",
            sent.emails,
        )
    ) % {"count": sent.emails}
    letters = (
        ngettext("%(count)s update to print.", "%(count)s updates to print.", sent.letters)
        if updates
        else ngettext("%(count)s letter to print.", "%(count)s letters to print.", sent.letters)
    ) % {"count": sent.letters}
    return f"{by_email} {letters}"


@require_POST
@roles_required(*CASE_ROLES)
def invitations_send(request: HttpRequest, reference: str) -> HttpResponse:
    """The first invitation to everyone who takes part and has none yet."""
    case = get_people_case(request, reference)
    found = services.meeting_for(case)
    try:
        sent = invitations.send(found, user=staff_user(request))
    except CaseError as failure:
        return render(
            request,
            "meetings/meeting.html",
            _meeting_context(case, found, error=failure.message),
            status=409,
        )
    if not sent.emails and not sent.letters:
        messages.info(request, _("Everyone who takes part has been invited already."))
    else:
        messages.success(request, _sent_message(sent, updates=False))
    return redirect("meeting", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def updates_send(request: HttpRequest, reference: str) -> HttpResponse:
    """The new date or place to exactly those who have the old details."""
    case = get_people_case(request, reference)
    found = services.meeting_for(case)
    try:
        sent = invitations.send_updates(found, user=staff_user(request))
    except CaseError as failure:
        return render(
            request,
            "meetings/meeting.html",
            _meeting_context(case, found, error=failure.message),
            status=409,
        )
    if not sent.emails and not sent.letters:
        messages.info(request, _("Everyone who was invited has the current details."))
    else:
        messages.success(request, _sent_message(sent, updates=True))
    return redirect("meeting", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def meeting_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_people_case(request, reference)
    found = services.meeting_for(case)
    form = CancelForm(request.POST, auto_id="cancel_%s")
    if not form.is_valid():
        return render(
            request,
            "meetings/meeting.html",
            _meeting_context(case, found, cancel_form=form),
            status=400,
        )
    try:
        services.cancel(found, user=staff_user(request), reason=form.cleaned_data["reason"])
        told = invitations.cancel_all(found, user=staff_user(request))
    except CaseError as failure:
        return render(
            request,
            "meetings/meeting.html",
            _meeting_context(case, found, error=failure.message),
            status=409,
        )
    messages.success(
        request,
        ngettext(
            "The meeting is cancelled; %(count)s person is told.",
            "The meeting is cancelled; %(count)s people are told.",
            told,
        )
        % {"count": told},
    )
    return redirect("dates", reference=reference)


@roles_required(*CASE_ROLES)
def letter(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The printable letter (PDF) for one participant, with a fresh personal link."""
    participant = get_participant_for_user(request, reference, pk)
    found = Meeting.objects.filter(case=participant.case).first()
    # Letters are for people without email: a letter carries a fresh link, which would
    # revoke the one in someone's email.
    if found is None or not found.is_scheduled or participant.declined or participant.email:
        raise Http404
    pdf = invitations.letter(found, participant)
    audit.record(
        request,
        action="download",
        object_type="letter",
        object_id=participant.pk,
        case_reference=participant.case.reference,
        people=[audit.Person("participant", participant.pk)],
    )
    filename = f"{participant.case.reference}-{slugify(participant.name) or participant.pk}.pdf"
    return attachment(pdf, filename)
