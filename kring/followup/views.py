"""The researcher's follow-up workspace.

The list sorts open moments into due (answers missing, still within the answer period),
overdue (answers missing, past it) and answered (everyone answered or declined, and the
closed ones), and shows what is coming. A moment's page lists its respondents by code and
category with every attempt to reach them; the researcher records calls and, after a call,
enters the answers given on the phone. A researcher never sees a name, an address, a phone
number or an agreement's words (which may name people): agreements are numbered and dated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as Choose
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models import When as ChooseWhen
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.forms import VersionForm, on_version
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, Status
from kring.circle.models import Category
from kring.followup import services
from kring.followup.access import follow_ups_for, get_follow_up, get_respondent, respondents_for
from kring.followup.forms import (
    CallForm,
    CloseForm,
    FindForm,
    MomentForm,
    QuestionnaireForm,
    agreement_label,
    agreement_when,
    initial_for,
)
from kring.followup.models import AgreementOutcome, ContactAttempt, FollowUp, Respondent
from kring.followup.study import study_id, study_ids

PLANNED_DAYS = 30
SECTIONS = {
    "due": gettext_lazy("Due"),
    "overdue": gettext_lazy("Overdue"),
    "answered": gettext_lazy("Answered and closed"),
    "planned": gettext_lazy("Coming"),
}
CAPTIONS = {
    "due": gettext_lazy("Open follow-ups still within the answer period, earliest first"),
    "overdue": gettext_lazy("Open follow-ups past the answer period, longest overdue first"),
    "answered": gettext_lazy(
        "Follow-ups everyone answered or declined, ready to close first, then the closed ones"
    ),
    "planned": gettext_lazy("Follow-ups that open in the next 30 days"),
}
UNREADABLE = gettext_lazy("This form could not be read. Reload the page and try again.")


# --- Selecting ------------------------------------------------------------------------------


def _waiting() -> Exists:
    """A respondent of the follow-up has neither answered nor declined."""
    return Exists(
        Respondent.objects.filter(
            follow_up=OuterRef("pk"), answered_at__isnull=True, declined_at__isnull=True
        )
    )


def overdue_from(today: dt.date) -> dt.date:
    """A follow-up due on or before this day is overdue today (``FollowUp.overdue_on``)."""
    return today - dt.timedelta(days=settings.KRING_FOLLOW_UP_ANSWER_DAYS)


def section_filter(section: str, today: dt.date) -> Q:
    late = overdue_from(today)
    is_open = Q(state=FollowUp.State.OPEN)
    if section == "due":
        return is_open & Q(_waiting()) & Q(due_on__gt=late)
    if section == "overdue":
        return is_open & Q(_waiting()) & Q(due_on__lte=late)
    if section == "answered":
        return (is_open & ~Q(_waiting())) | Q(state=FollowUp.State.CLOSED)
    return Q(state=FollowUp.State.PLANNED, due_on__lte=today + dt.timedelta(days=PLANNED_DAYS))


def section_counts(follow_ups: QuerySet[FollowUp], today: dt.date) -> dict[str, int]:
    """How many follow-ups each section holds, in one query."""
    return follow_ups.aggregate(
        **{name: Count("pk", filter=section_filter(name, today)) for name in SECTIONS}
    )


def _count(rows: QuerySet[Any], link: str) -> Coalesce:
    counted = (
        rows.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_counts(follow_ups: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    return follow_ups.annotate(
        respondent_count=_count(Respondent.objects.all(), "follow_up"),
        answered_count=_count(Respondent.objects.filter(answered_at__isnull=False), "follow_up"),
        declined_count=_count(
            Respondent.objects.filter(declined_at__isnull=False, answered_at__isnull=True),
            "follow_up",
        ),
        attempt_count=_count(ContactAttempt.objects.all(), "respondent__follow_up"),
    )


def _ordered(follow_ups: QuerySet[FollowUp], section: str) -> QuerySet[FollowUp]:
    if section == "answered":
        ready_first = Choose(ChooseWhen(state=FollowUp.State.OPEN, then=0), default=1)
        return follow_ups.order_by(ready_first, "-due_on", "-pk")
    return follow_ups.order_by("due_on", "pk")


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class Row:
    follow_up: FollowUp
    study_id: str

    @property
    def percent(self) -> int | None:
        return _percent(self.follow_up.answered_count, self.follow_up.respondent_count)  # type: ignore[attr-defined]


# --- The workspace ----------------------------------------------------------------------------


def _workspace(
    request: HttpRequest, *, find_form: FindForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    today = timezone.localdate()
    follow_ups = follow_ups_for(user)
    section = request.GET.get("show", "due")
    if section not in SECTIONS:
        section = "due"
    counts = section_counts(follow_ups, today)
    listed = _ordered(
        _with_counts(follow_ups.filter(section_filter(section, today))).select_related(
            "case", "case__region"
        ),
        section,
    )
    page = Paginator(listed, settings.KRING_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    ids = study_ids(f.case_id for f in page.object_list)
    overall = services.response_rate(follow_ups.exclude(state=FollowUp.State.CANCELLED))
    return render(
        request,
        "followup/workspace.html",
        {
            "section": section,
            "section_label": SECTIONS[section],
            "caption": CAPTIONS[section],
            "tabs": [(name, label, counts[name]) for name, label in SECTIONS.items()],
            "page": page,
            "rows": [Row(f, ids[f.case_id]) for f in page.object_list],
            "overall": overall,
            "overall_percent": _percent(overall.answered, overall.respondents),
            "find_form": find_form or FindForm(auto_id="find_%s"),
            "answer_days": settings.KRING_FOLLOW_UP_ANSWER_DAYS,
        },
        status=status,
    )


@roles_required(Role.RESEARCHER)
def workspace(request: HttpRequest) -> HttpResponse:
    return _workspace(request)


@roles_required(Role.RESEARCHER)
def find_code(request: HttpRequest) -> HttpResponse:
    """The code a respondent gives on the phone leads to their questionnaire."""
    form = FindForm(request.GET or None, auto_id="find_%s")
    if not form.is_bound:
        return _workspace(request, find_form=form)
    code = form.normalised()
    if not code:
        if not form.errors:  # only dashes or spaces
            form.add_error("code", _("Type the code the respondent gives you."))
        return _workspace(request, find_form=form)
    # Codes are unique per moment; should two moments share one, the open one comes first.
    match = (
        respondents_for(staff_user(request))
        .filter(code=code)
        .order_by(
            Choose(ChooseWhen(follow_up__state=FollowUp.State.OPEN, then=0), default=1),
            "-follow_up__due_on",
            "-pk",
        )
        .values_list("follow_up_id", "pk")
        .first()
    )
    if match is None:
        form.add_error(
            "code", _("No respondent has this code. Check it with the respondent and try again.")
        )
        return _workspace(request, find_form=form, status=404)
    return redirect("follow_up_answer", pk=match[0], respondent=match[1])


# --- One follow-up moment ---------------------------------------------------------------------


@dataclass
class RespondentRow:
    respondent: Respondent
    attempts: list[ContactAttempt]
    call_form: CallForm
    call_error: str = ""

    @property
    def category(self) -> str:
        category = self.respondent.category
        return str(Category(category).label) if category in Category.values else category or "—"

    @property
    def status(self) -> str:
        if self.respondent.answered:
            return "answered"
        return "declined" if self.respondent.declined else "waiting"

    @property
    def invitation(self) -> ContactAttempt | None:
        return next((a for a in self.attempts if a.kind == ContactAttempt.Kind.INVITATION), None)

    @property
    def last_attempt(self) -> ContactAttempt | None:
        return self.attempts[-1] if self.attempts else None


@dataclass
class AgreementRow:
    label: str
    when: str
    outcomes: list[tuple[str, int]]


def _detail_context(
    follow_up: FollowUp,
    *,
    call_form: tuple[int, CallForm, str] | None = None,
    moment_form: MomentForm | None = None,
    moment_error: str = "",
    close_form: CloseForm | None = None,
    close_error: str = "",
) -> dict[str, Any]:
    case = follow_up.case
    respondents = list(
        follow_up.respondents.order_by("pk").prefetch_related(
            Prefetch("attempts", queryset=ContactAttempt.objects.order_by("at", "pk"))
        )
    )
    rows = []
    for respondent in respondents:
        row = RespondentRow(
            respondent,
            list(respondent.attempts.all()),
            CallForm(auto_id=f"call{respondent.pk}_%s"),
        )
        if call_form is not None and call_form[0] == respondent.pk:
            row.call_form, row.call_error = call_form[1], call_form[2]
        rows.append(row)
    tallies: dict[int, dict[str, int]] = {}
    for agreement_id, outcome, n in (
        AgreementOutcome.objects.filter(respondent__follow_up=follow_up)
        .order_by()
        .values_list("agreement_id", "outcome")
        .annotate(n=Count("pk"))
    ):
        tallies.setdefault(agreement_id, {})[outcome] = n
    agreements = [
        AgreementRow(
            agreement_label(agreement, number),
            agreement_when(agreement),
            [
                (str(label), tallies.get(agreement.pk, {}).get(value, 0))
                for value, label in AgreementOutcome.Outcome.choices
            ],
        )
        for number, agreement in enumerate(services.agreements_of(case), start=1)
    ]
    answered = [r for r in respondents if r.answered]
    satisfaction = [r.satisfaction for r in answered if r.satisfaction is not None]
    declined = sum(1 for r in respondents if r.declined and not r.answered)
    return {
        "follow_up": follow_up,
        "case": case,
        "study_id": study_id(case),
        "region": case.region.name if case.region else "",
        "moments": list(case.follow_ups.order_by("months", "pk")),
        "rows": rows,
        "agreements": agreements,
        "outcome_labels": [str(label) for _value, label in AgreementOutcome.Outcome.choices],
        "respondent_count": len(respondents),
        "answered_count": len(answered),
        "declined_count": declined,
        "waiting_count": len(respondents) - len(answered) - declined,
        "percent": _percent(len(answered), len(respondents)),
        "satisfaction": round(sum(satisfaction) / len(satisfaction), 1) if satisfaction else None,
        "overdue": follow_up.is_open and timezone.localdate() >= follow_up.overdue_on,
        "may_add": not case.is_finished,
        "moment_form": moment_form or MomentForm(auto_id="moment_%s"),
        "moment_error": moment_error,
        "close_form": close_form
        or CloseForm(initial={"version": follow_up.version}, auto_id="close_%s"),
        "close_error": close_error,
    }


def _render_detail(
    request: HttpRequest, follow_up: FollowUp, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _detail_context(follow_up, **extra)
    audit.record(
        request,
        action="view",
        object_type="follow_up",
        object_id=follow_up.pk,
        case_reference=follow_up.case.reference,
        people=[
            audit.Person("participant", row.respondent.participant_id)
            for row in context["rows"]
            if row.respondent.participant_id
        ],
    )
    return render(request, "followup/detail.html", context, status=status)


def _back(follow_up: FollowUp, anchor: str = "") -> HttpResponse:
    url = reverse("follow_up", args=[follow_up.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@roles_required(Role.RESEARCHER)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_follow_up(staff_user(request), pk))


@require_POST
@roles_required(Role.RESEARCHER)
def call(request: HttpRequest, pk: int, respondent: int) -> HttpResponse:
    """A researcher's phone call to a respondent, and how it went."""
    user = staff_user(request)
    follow_up = get_follow_up(user, pk)
    person = get_respondent(user, follow_up, respondent)
    form = CallForm(request.POST, auto_id=f"call{person.pk}_%s")
    status, error = 400, ""
    if not form.is_valid():
        error = _("Choose how the call went.")
    elif not follow_up.is_open:
        status, error = 409, _("This follow-up is not open: no call can be recorded.")
    else:
        try:
            services.record_call(person, form.cleaned_data["outcome"], user=user)
        except CaseError as failure:
            error = str(failure.message)
    if not error:
        messages.success(
            request, _("The call to respondent %(code)s is recorded.") % {"code": person.code}
        )
        return _back(follow_up, f"respondent-{person.pk}")
    return _render_detail(request, follow_up, status=status, call_form=(person.pk, form, error))


@require_POST
@roles_required(Role.RESEARCHER)
def add_moment(request: HttpRequest, pk: int) -> HttpResponse:
    """A further moment for the follow-up's case (6 or 12 months, say)."""
    user = staff_user(request)
    follow_up = get_follow_up(user, pk)
    form = MomentForm(request.POST, auto_id="moment_%s")
    if not form.is_valid():
        error = _("Choose a number of months from 1 to 36.")
        return _render_detail(request, follow_up, status=400, moment_form=form, moment_error=error)
    try:
        added = services.add_moment(follow_up.case, form.cleaned_data["months"], user=user)
    except CaseError as failure:
        status = 409 if follow_up.case.is_finished else 400
        return _render_detail(
            request,
            follow_up,
            status=status,
            moment_form=form,
            moment_error=str(failure.message),
        )
    messages.success(
        request,
        _("A follow-up at %(months)s months is planned, due on %(day)s.")
        % {"months": added.months, "day": formats.date_format(added.due_on, "j F Y")},
    )
    return _back(follow_up, "moments")


@require_POST
@roles_required(Role.RESEARCHER)
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open moment; the case closes with its last one."""
    user = staff_user(request)
    follow_up = get_follow_up(user, pk)
    form = CloseForm(request.POST, auto_id="close_%s")
    if not form.is_valid():
        return _render_detail(
            request, follow_up, status=400, close_form=form, close_error=str(UNREADABLE)
        )
    try:
        services.close(follow_up, user=user, version=form.cleaned_data["version"])
    except CaseError as failure:
        follow_up.refresh_from_db()
        return _render_detail(
            request,
            follow_up,
            status=409,
            close_form=CloseForm(on_version(request.POST, follow_up.version), auto_id="close_%s"),
            close_error=str(failure.message),
        )
    text = _("The follow-up at %(months)s months is closed.") % {"months": follow_up.months}
    if Case.objects.filter(pk=follow_up.case_id, status=Status.CLOSED).exists():
        text = f"{text} {_('It was the last one: the case is closed too.')}"
    messages.success(request, text)
    return _back(follow_up)


# --- The questionnaire, entered after a call --------------------------------------------------


def _render_answer(
    request: HttpRequest,
    follow_up: FollowUp,
    respondent: Respondent,
    form: QuestionnaireForm,
    *,
    version: int,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    if not follow_up.is_open:
        for field in form.fields.values():
            field.disabled = True
    audit.record(
        request,
        action="view",
        object_type="respondent",
        object_id=respondent.pk,
        case_reference=follow_up.case.reference,
        people=[audit.Person("participant", respondent.participant_id)]
        if respondent.participant_id
        else [],
    )
    category = respondent.category
    return render(
        request,
        "followup/answer.html",
        {
            "follow_up": follow_up,
            "respondent": respondent,
            "category": Category(category).label if category in Category.values else category,
            "study_id": study_id(follow_up.case),
            "form": form,
            "version": version,
            "error": error,
        },
        status=status,
    )


def _without_remark(form: QuestionnaireForm, person: Respondent) -> QuestionnaireForm:
    """A remark may name people: a researcher adds one, never reads one back."""
    if person.remark:
        form.fields["remark"].help_text = _(
            "A remark was given earlier; it is not shown here. What you type replaces it; "
            "leave this empty to keep it."
        )
    return form


@roles_required(Role.RESEARCHER)
def answer(request: HttpRequest, pk: int, respondent: int) -> HttpResponse:
    """The questionnaire as the respondent answers it on the phone."""
    user = staff_user(request)
    follow_up = get_follow_up(user, pk)
    person = get_respondent(user, follow_up, respondent)
    agreements = services.agreements_of(follow_up.case)
    if request.method != "POST":
        initial = initial_for(person)
        initial.pop("remark", None)  # the respondent's own words are not shown to research
        form = _without_remark(QuestionnaireForm(agreements, initial=initial), person)
        return _render_answer(request, follow_up, person, form, version=person.version)
    form = _without_remark(QuestionnaireForm(agreements, request.POST), person)
    version_form = VersionForm(request.POST)
    if not version_form.is_valid():
        return _render_answer(
            request,
            follow_up,
            person,
            form,
            version=person.version,
            error=str(UNREADABLE),
            status=400,
        )
    version = version_form.cleaned_data["version"]
    if not form.is_valid():
        return _render_answer(request, follow_up, person, form, version=version, status=400)
    try:
        services.save_answers(
            person,
            form.to_answers(),
            via=Respondent.Via.RESEARCHER,
            user=user,
            version=version,
        )
    except CaseError as failure:
        person.refresh_from_db()
        return _render_answer(
            request,
            follow_up,
            person,
            form,
            version=person.version,
            error=str(failure.message),
            status=409,
        )
    messages.success(
        request, _("The answers of respondent %(code)s are saved.") % {"code": person.code}
    )
    return _back(follow_up, f"respondent-{person.pk}")
