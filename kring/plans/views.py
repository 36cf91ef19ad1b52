"""The plan editor: the coordinator writes down what the circle decided, in the circle's words.

One page holds the answers to the questions, the agreements (what, who, where, when) in the
circle's order, the requests to organisations, who watches over the plan, the evaluation
moments and what happens if something does not work; next to them the precision check and the
finalised versions. Items are added, edited and reordered inline with HTMX; every form also
works without JavaScript (POST, redirect, GET to the page with an anchor).

Two people editing at once never overwrite each other: every save carries the version the
user saw; the second save is refused and their text offered again next to the saved one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases import confirm
from kring.cases.access import get_people_case
from kring.cases.forms import on_version
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, Status
from kring.circle.models import Participant
from kring.plans import precision, services
from kring.plans.forms import (
    ITEM_FORMS,
    FinaliseForm,
    ItemForm,
    MoveForm,
    PlanTextForm,
    RemoveForm,
    infer_when,
)
from kring.plans.models import Agreement, Plan

CASE_ROLES = (Role.REGIONAL_MANAGER, Role.COORDINATOR)
SECTIONS = {"agreement": "agreements", "request": "requests", "evaluation": "evaluations"}
# The parts of the page, in its order; each folds, and the table of contents links to each.
PARTS = ("plan-text", "agreements", "requests", "evaluations", "findings", "finalise")
# While the plan is being written the agreements are the work; after it went out, the versions.
WRITING = frozenset({Status.SCHEDULED, Status.HELD, Status.PLAN_WITHOUT_MEETING})
# Evaluation moments are listed by date; the circle orders agreements and requests.
MOVABLE = frozenset({"agreement", "request"})
MAX_ID = 2**63 - 1


# --- Presenting -----------------------------------------------------------------------------


def _day(value: dt.date) -> str:
    return formats.date_format(value, "j F Y")


def when_words(agreement: Agreement) -> str:
    """When, in words: "on 12 March 2027", "from … to …", "every Monday evening"."""
    when, on, until = agreement.when, agreement.on, agreement.until
    if when == Agreement.When.DATE:
        return _("on %(date)s") % {"date": _day(on)} if on else _("on a date not chosen yet")
    if when == Agreement.When.PERIOD:
        if on and until:
            return _("from %(start)s to %(end)s") % {"start": _day(on), "end": _day(until)}
        if on:
            return _("from %(start)s, end not chosen yet") % {"start": _day(on)}
        return _("during a period not chosen yet")
    if when == Agreement.When.RECURRING:
        return agreement.recurrence or _("recurring, how often not said yet")
    return ""


def _label(kind: str, number: int) -> str:
    if kind == "agreement":
        return _("agreement %(number)s") % {"number": number}
    if kind == "request":
        return _("request %(number)s") % {"number": number}
    return _("evaluation moment %(number)s") % {"number": number}


@dataclass
class Row:
    """One item as the editor shows it."""

    kind: str
    item: Any
    position: int
    count: int
    who: str = ""
    when: str = ""
    findings: list[precision.Finding] = field(default_factory=list)
    focus: str = ""  # "up" or "down": the button that keeps focus after a move

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.item.pk}"

    @property
    def section(self) -> str:
        return SECTIONS[self.kind]

    @property
    def label(self) -> str:
        return _label(self.kind, self.position)

    @property
    def first(self) -> bool:
        return self.position == 1

    @property
    def last(self) -> bool:
        return self.position == self.count

    @property
    def movable(self) -> bool:
        return self.kind in MOVABLE and self.count > 1

    @property
    def missing(self) -> list[precision.Finding]:
        return [f for f in self.findings if f.blocking]


def _agreement_row(
    agreement: Agreement,
    position: int,
    count: int,
    findings: Sequence[precision.Finding] = (),
) -> Row:
    names = [p.name for p in agreement.who.all()]
    if agreement.who_organisation:
        names.append(agreement.who_organisation)
    return Row(
        "agreement",
        agreement,
        position,
        count,
        who=", ".join(names),
        when=when_words(agreement),
        findings=list(findings),
    )


def _row(kind: str, item: Any, position: int, count: int) -> Row:
    if isinstance(item, Agreement):
        return _agreement_row(
            item, position, count, precision.check_agreement(services.agreement_text(item))
        )
    return Row(kind, item, position, count)


def _position(kind: str, item: Any) -> tuple[int, int]:
    model = type(item)
    siblings = list(
        model.objects.filter(plan_id=item.plan_id)
        .order_by(*(["on"] if kind == "evaluation" else []), "order", "pk")
        .values_list("pk", flat=True)
    )
    return (siblings.index(item.pk) + 1 if item.pk in siblings else 1), max(len(siblings), 1)


def _editor_context(case: Case, plan: Plan, **extra: Any) -> dict[str, Any]:
    """Everything the editor page and its sections show; ``extra`` overrides forms (to keep
    a user's input) and adds the error, the notice and where the focus goes."""
    saved = plan.pk is not None
    questions = list(case.questions.all())
    listed = services.agreements(plan)
    requests = list(plan.requests.order_by("order", "pk")) if saved else []
    evaluations = list(plan.evaluations.order_by("on", "order", "pk")) if saved else []
    monitors = list(plan.monitors.order_by("name", "pk")) if saved else []
    answers = {a.question_id: a.text for a in plan.answers.all()} if saved else {}
    report = services.check(plan, listed)
    by_subject: dict[tuple[str, int | None], list[precision.Finding]] = defaultdict(list)
    for finding in report.findings:
        by_subject[(finding.subject, finding.index)].append(finding)

    # After an HTMX change, where the keyboard focus goes: (kind, pk, "up"/"down"/"edit") for
    # a row's button, (kind, None, "new") for the add form, (kind, None, "heading").
    focus = extra.pop("focus", None)
    agreement_rows = [
        _agreement_row(a, i, len(listed), by_subject[("agreement", i)])
        for i, a in enumerate(listed, start=1)
    ]
    request_rows = [
        Row("request", r, i, len(requests), findings=by_subject[("request", i)])
        for i, r in enumerate(requests, start=1)
    ]
    evaluation_rows = [
        Row("evaluation", e, i, len(evaluations)) for i, e in enumerate(evaluations, start=1)
    ]
    for row in agreement_rows + request_rows + evaluation_rows:
        if focus and (row.kind, row.item.pk) == focus[:2]:
            wanted = focus[2]
            if (wanted == "up" and row.first) or (wanted == "down" and row.last):
                wanted = "down" if wanted == "up" else "up"
            row.focus = wanted

    versions = list(plan.versions.order_by("-number")) if saved else []
    latest = versions[0] if versions else None
    delivered = latest is not None and latest.deliveries.exists()
    changed = latest is None or latest.content != services.snapshot(plan)
    next_number = 1 if latest is None else latest.number + (1 if delivered else 0)

    add_forms = {
        kind: form_class(case=case, auto_id=f"new-{kind}_%s")
        for kind, form_class in ITEM_FORMS.items()
    }
    add_forms.update(extra.pop("add_forms", {}))
    if focus and focus[2] == "new":
        first = next(iter(add_forms[focus[0]].visible_fields()))
        first.field.widget.attrs["autofocus"] = True
    text_form = extra.pop("text_form", None) or PlanTextForm(
        case=case,
        questions=questions,
        monitors=[p.pk for p in monitors],
        initial={
            **{PlanTextForm.answer_name(q): answers.get(q.pk, "") for q in questions},
            "monitors": [p.pk for p in monitors],
            "monitor_note": plan.monitor_note,
            "contingency": plan.contingency,
            "version": plan.version,
        },
        auto_id="plan_%s",
    )
    named = {p.pk for a in listed for p in a.who.all()} | {p.pk for p in monitors}
    context = {
        "case": case,
        "plan": plan,
        "editable": case.status in services.PLAN_OPEN,
        "finalise_open": case.status in services.FINALISE_FROM,
        "text_form": text_form,
        "saved_answers": [(q, answers.get(q.pk, "")) for q in questions],
        "monitors": monitors,
        "agreement_rows": agreement_rows,
        "request_rows": request_rows,
        "evaluation_rows": evaluation_rows,
        "add_forms": add_forms,
        "report": report,
        "missing_rows": [row for row in agreement_rows if row.missing],
        "plan_findings": [f for f in report.findings if f.subject not in ("agreement", "request")],
        "agreement_warnings": sum(
            1 for f in report.warnings if f.subject == "agreement" and f.code != "missing_where"
        ),
        "versions": versions,
        "latest": latest,
        "delivered": delivered,
        "changed": changed,
        "next_number": next_number,
        "finalise_form": FinaliseForm(initial={"version": plan.version}, auto_id="finalise_%s"),
        "people": sorted(named),
        "focus_heading": SECTIONS[focus[0]] if focus and focus[2] == "heading" else "",
        "focus_new": focus[0] if focus and focus[2] == "new" else "",
        "answered_count": sum(1 for q in questions if answers.get(q.pk, "").strip()),
        **extra,
    }
    context["open_parts"] = _open_parts(case, plan, context)
    return context


def _open_parts(case: Case, plan: Plan, context: dict[str, Any]) -> set[str]:
    """The parts of the page that are unfolded: where the work is now, and any part holding
    a refused form or an error (the others stay one click, or one link, away)."""
    report = context["report"]
    opened: set[str] = set()
    if case.status in WRITING:
        opened.add("agreements")
        nothing_written = not context["answered_count"] and not (
            context["monitors"] or plan.monitor_note or plan.contingency
        )
        if nothing_written:
            opened.add("plan-text")
        if report.blocking:
            opened.add("findings")
        if context["finalise_open"] and context["changed"] and context["agreement_rows"]:
            opened.add("finalise")
    else:
        opened.add("finalise")
    if context["text_form"].is_bound:
        opened.add("plan-text")
    opened.update(SECTIONS[kind] for kind, form in context["add_forms"].items() if form.is_bound)
    if context.get("refused"):
        opened.update({"findings", "finalise"})
    return opened


def _record_view(request: HttpRequest, case: Case, people: Sequence[int]) -> None:
    audit.record(
        request,
        action="view",
        object_type="plan",
        object_id=case.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", pk) for pk in people],
    )


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _plan_url(case: Case, anchor: str = "") -> str:
    return reverse("plan", args=[case.reference]) + (f"#{anchor}" if anchor else "")


def _section(
    request: HttpRequest, case: Case, kind: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The page again (without JavaScript), or for HTMX the section of this kind with the
    precision check and the versions updated alongside (out of band).

    HTMX swaps only successful responses, so a refusal inside a fragment answers 200 with
    the error in it; the page without JavaScript answers with the real status."""
    plan = services.plan_of(case)
    context = _editor_context(case, plan, **extra)
    context["open_parts"].add(SECTIONS[kind])
    if _htmx(request):
        context.update(fragment=True, section_template=f"plans/plan.html#{SECTIONS[kind]}")
        return render(request, "plans/editor_fragment.html", context)
    return render(request, "plans/plan.html", context, status=status)


def _done(
    request: HttpRequest,
    case: Case,
    kind: str,
    notice: str,
    anchor: str,
    focus: tuple[str, int | None, str],
) -> HttpResponse:
    if _htmx(request):
        return _section(request, case, kind, notice=notice, focus=focus)
    messages.success(request, notice)
    return redirect(_plan_url(case, anchor))


def _kind(kind: str) -> str:
    if kind not in services.KINDS:
        raise Http404
    return kind


def _item(case: Case, kind: str, pk: int) -> services.Item:
    """An agreement, request or evaluation moment of this case's plan; 404 otherwise."""
    if pk > MAX_ID:  # more than the database can hold (SQLite would raise OverflowError)
        raise Http404
    found: services.Item | None = (
        services.KINDS[kind].objects.filter(plan__case=case, pk=pk).first()
    )
    if found is None:
        raise Http404
    return found


# --- The page and the plan's text -----------------------------------------------------------


@roles_required(*CASE_ROLES)
def plan(request: HttpRequest, reference: str) -> HttpResponse:
    """The plan editor (GET); saving the answers, who watches over the plan and what happens
    if something does not work (POST)."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        # Looking creates nothing: the plan is made with the first change.
        context = _editor_context(case, services.plan_of(case))
        _record_view(request, case, context["people"])
        return render(request, "plans/plan.html", context)
    questions = list(case.questions.all())
    current = services.plan_of(case)
    named = list(current.monitors.values_list("pk", flat=True)) if current.pk else []
    form = PlanTextForm(
        request.POST, case=case, questions=questions, monitors=named, auto_id="plan_%s"
    )
    if not form.is_valid():
        context = _editor_context(case, current, text_form=form)
        return render(request, "plans/plan.html", context, status=400)
    version = form.cleaned_data["version"]
    try:
        with transaction.atomic():
            # The plan is made with the first change; a refused change leaves none behind.
            services.save_plan_text(
                services.plan_for(case),
                answers=form.answers(),
                monitors=form.cleaned_data["monitors"],
                monitor_note=form.cleaned_data["monitor_note"],
                contingency=form.cleaned_data["contingency"],
                user=staff_user(request),
                version=version,
            )
    except CaseError as failure:
        found = services.plan_of(case)
        # Someone else saved first: their input again, on the version now saved, next to it.
        stale = found.version != version
        form = PlanTextForm(
            on_version(request.POST, found.version) if stale else request.POST,
            case=case,
            questions=questions,
            monitors=list(found.monitors.values_list("pk", flat=True)) if found.pk else [],
            auto_id="plan_%s",
        )
        context = _editor_context(
            case, found, text_form=form, error=failure.message, text_conflict=stale
        )
        return render(request, "plans/plan.html", context, status=409)
    messages.success(request, _("The plan is saved."))
    return redirect(_plan_url(case, "plan-text"))


# --- Agreements, requests and evaluation moments ---------------------------------------------


def _added(kind: str) -> str:
    if kind == "agreement":
        return _("The agreement is added.")
    if kind == "request":
        return _("The request is added.")
    return _("The evaluation moment is added.")


def _saved(kind: str) -> str:
    if kind == "agreement":
        return _("The agreement is saved.")
    if kind == "request":
        return _("The request is saved.")
    return _("The evaluation moment is saved.")


def _removed(kind: str) -> str:
    if kind == "agreement":
        return _("The agreement is removed.")
    if kind == "request":
        return _("The request is removed.")
    return _("The evaluation moment is removed.")


@require_POST
@roles_required(*CASE_ROLES)
def item_add(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    case = get_people_case(request, reference)
    kind = _kind(kind)
    form = ITEM_FORMS[kind](request.POST, case=case, auto_id=f"new-{kind}_%s")
    if not form.is_valid():
        return _section(request, case, kind, status=400, add_forms={kind: form})
    try:
        with transaction.atomic():
            # The plan is made with the first change; a refused change leaves none behind.
            item = services.add_item(
                services.plan_for(case), kind, form.data_for_service(), user=staff_user(request)
            )
    except CaseError as failure:
        return _section(
            request, case, kind, status=409, add_forms={kind: form}, error=failure.message
        )
    return _done(request, case, kind, _added(kind), f"{kind}-{item.pk}", focus=(kind, None, "new"))


def _item_context(case: Case, kind: str, row: Row, form: ItemForm, **extra: Any) -> dict[str, Any]:
    action = reverse("plan_item", args=[case.reference, kind, row.item.pk])
    return {
        "case": case,
        "kind": kind,
        "row": row,
        "form": form,
        "section": SECTIONS[kind],
        "form_action": action,
        "check_id": f"{row.anchor}-check",
        "findings": row.findings,
        "cancel_url": _plan_url(case, row.anchor),
        **extra,
    }


def _edit_response(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The edit form: inline in the list for HTMX (replacing the row), else a page."""
    if _htmx(request):
        context["inline"] = True
        if request.method != "POST":
            # The row became a form: the keyboard goes to its first field.
            first = next(iter(context["form"].visible_fields()))
            first.field.widget.attrs["autofocus"] = True
        response = render(request, "plans/plan.html#item_form_row", context)
        if request.method == "POST":
            # The form targets its section; a refusal stays in the row, with the input.
            retarget(response, f"#{context['row'].anchor}")
            reswap(response, "outerHTML")
        return response
    return render(request, "plans/editor_item.html", context, status=status)


@roles_required(*CASE_ROLES)
def item_edit(request: HttpRequest, reference: str, kind: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    kind = _kind(kind)
    item = _item(case, kind, pk)
    form_class = ITEM_FORMS[kind]
    auto_id = f"{kind}-{pk}_%s"
    row = _row(kind, item, *_position(kind, item))
    if request.method != "POST":
        form = form_class(
            instance=item,
            case=case,
            versioned=True,
            initial={"version": item.version},
            auto_id=auto_id,
        )
        audit.record(
            request,
            action="view",
            object_type="plan",
            object_id=case.pk,
            case_reference=case.reference,
            people=[audit.Person("participant", p.pk) for p in _who(item)],
        )
        return _edit_response(request, _item_context(case, kind, row, form))
    form = form_class(request.POST, instance=item, case=case, versioned=True, auto_id=auto_id)
    if not form.is_valid():
        context = _item_context(
            case, kind, row, form, findings=_typed_findings(request, case, kind)
        )
        return _edit_response(request, context, status=400)
    try:
        services.update_item(
            item,
            form.data_for_service(),
            user=staff_user(request),
            version=form.cleaned_data["version"],
        )
    except CaseError as failure:
        return _refused(request, case, kind, pk, form.cleaned_data["version"], failure.message)
    return _done(request, case, kind, _saved(kind), f"{kind}-{pk}", focus=(kind, pk, "edit"))


def _who(item: Any) -> list[Participant]:
    return list(item.who.all()) if isinstance(item, Agreement) else []


def _refused(
    request: HttpRequest, case: Case, kind: str, pk: int, version: int, message: object
) -> HttpResponse:
    """The save was refused. If someone else saved (or removed) the item first, the user's
    input is offered again on the version now saved, next to the saved text, to merge and
    save knowingly."""
    model = services.KINDS[kind]
    saved = model.objects.filter(plan__case=case, pk=pk).first()
    if saved is None:
        # Removed in the meantime: keep the text in the form to add it again.
        data = request.POST.copy()
        data.pop("version", None)
        form = ITEM_FORMS[kind](data, case=case, auto_id=f"new-{kind}_%s")
        error = _(
            "Someone else removed this in the meantime. Your text is kept in the form below: "
            "add it again if it is still needed."
        )
        return _section(request, case, kind, status=409, add_forms={kind: form}, error=error)
    if saved.version == version:
        # Not a conflict (the plan is closed for changes, say): the input stays as it was.
        row = _row(kind, saved, *_position(kind, saved))
        form = ITEM_FORMS[kind](
            request.POST, instance=saved, case=case, versioned=True, auto_id=f"{kind}-{pk}_%s"
        )
        context = _item_context(
            case, kind, row, form, error=message, findings=_typed_findings(request, case, kind)
        )
        return _edit_response(request, context, status=409)
    position, count = _position(kind, saved)
    saved_row = _row(kind, saved, position, count)
    # A fresh instance for the form: binding the form writes the input onto its instance,
    # and the saved text must stay as saved.
    form = ITEM_FORMS[kind](
        on_version(request.POST, saved.version),
        instance=model.objects.get(pk=pk),
        case=case,
        versioned=True,
        auto_id=f"{kind}-{pk}_%s",
    )
    context = _item_context(
        case,
        kind,
        saved_row,
        form,
        error=message,
        saved_row=saved_row,
        findings=_typed_findings(request, case, kind),
    )
    return _edit_response(request, context, status=409)


@require_POST
@roles_required(*CASE_ROLES)
def item_remove(request: HttpRequest, reference: str, kind: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    kind = _kind(kind)
    item = _item(case, kind, pk)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        error = _("Something went wrong with the form. Look again and retry.")
        return _section(request, case, kind, status=400, error=error)
    version = form.cleaned_data["version"]
    try:
        services.remove_item(item, user=staff_user(request), version=version)
    except CaseError as failure:
        error = str(failure.message)
        if item.version != version:
            error = _(
                "Someone else changed this in the meantime. Look at it again before you remove it."
            )
        return _section(request, case, kind, status=409, error=error)
    return _done(request, case, kind, _removed(kind), SECTIONS[kind], focus=(kind, None, "heading"))


@require_POST
@roles_required(*CASE_ROLES)
def item_move(request: HttpRequest, reference: str, kind: str, pk: int) -> HttpResponse:
    case = get_people_case(request, reference)
    kind = _kind(kind)
    item = _item(case, kind, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        error = _("Choose to move it up or down.")
        return _section(request, case, kind, status=400, error=error)
    direction = form.cleaned_data["direction"]
    try:
        services.move_item(item, -1 if direction == "up" else 1, user=staff_user(request))
    except CaseError as failure:
        return _section(request, case, kind, status=409, error=failure.message)
    notice = _("The order is changed.")
    return _done(request, case, kind, notice, f"{kind}-{pk}", focus=(kind, pk, direction))


# --- The precision check while typing ---------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def typed_agreement(case: Case, data: QueryDict) -> precision.AgreementText:
    """An agreement as it is being typed, for the check: nothing is validated or saved;
    what cannot be read counts as not filled in."""
    ids = []
    for value in data.getlist("who"):
        try:
            number = int(value)
        except ValueError:
            continue
        if 0 < number <= MAX_ID:
            ids.append(number)
    names = (
        list(Participant.objects.filter(case=case, pk__in=ids).values_list("name", flat=True))
        if ids
        else []
    )
    on, until = _date(data.get("on")), _date(data.get("until"))
    recurrence = (data.get("recurrence") or "")[:120]
    when = data.get("when") or ""
    if when not in Agreement.When.values:
        when = ""
    when = when or infer_when(on, until, recurrence)
    return precision.AgreementText(
        what=(data.get("what") or "")[:1000],
        who=names,
        who_organisation=(data.get("who_organisation") or "")[:120],
        where=(data.get("where") or "")[:200],
        when=when,
        on=on if when in ("date", "period") else None,
        until=until if when == "period" else None,
        recurrence=recurrence if when == "recurring" else "",
    )


def _typed_findings(request: HttpRequest, case: Case, kind: str) -> list[precision.Finding]:
    """The check of what the user submitted, shown with their input kept after a refusal."""
    if kind != "agreement":
        return []
    return precision.check_agreement(typed_agreement(case, request.POST))


@require_POST
@roles_required(*CASE_ROLES)
def plan_check(request: HttpRequest, reference: str) -> HttpResponse:
    """The precision check of one agreement as it is typed (HTMX): never blocks, saves
    nothing. Without JavaScript the check appears with the agreement once it is saved."""
    case = get_people_case(request, reference)
    findings = precision.check_agreement(typed_agreement(case, request.POST))
    return render(request, "plans/plan.html#live_check", {"findings": findings, "checked": True})


# --- Finalising -------------------------------------------------------------------------------


@require_POST
@roles_required(*CASE_ROLES)
def plan_finalise(request: HttpRequest, reference: str) -> HttpResponse:
    """The circle accepted the plan: freeze this version. Refused while an agreement lacks
    what, who or when."""
    case = get_people_case(request, reference)
    form = FinaliseForm(request.POST)
    if not form.is_valid():
        context = _editor_context(
            case,
            services.plan_of(case),
            error=_("Something went wrong with the form. Look again and retry."),
        )
        context["open_parts"].add("finalise")
        return render(request, "plans/plan.html", context, status=400)
    version = form.cleaned_data["version"]
    if not confirm.confirmed(request):
        found = services.plan_of(case)
        # Asked only when finalising would go through; a refusal comes at once, as before.
        if (
            case.status in services.FINALISE_FROM
            and found.version == version
            and services.check(found).may_finalise
        ):
            return confirm.confirmation_page(
                request,
                case,
                title=_("Finalise the plan?"),
                consequences=[
                    _(
                        "Kring freezes the plan as it is now and makes from it the document "
                        "everyone receives."
                    ),
                    _("The plan is recorded as accepted by the circle."),
                    _(
                        "Once anyone has received it, a change makes a new version; this one "
                        "stays as it was."
                    ),
                ],
                button=_("Yes, finalise the plan"),
                back=reverse("plan", args=[case.reference]),
            )
    try:
        with transaction.atomic():
            # A refused finalising leaves no empty plan behind.
            frozen = services.finalise(
                services.plan_for(case), user=staff_user(request), version=version
            )
    except CaseError as failure:
        found = services.plan_of(case)
        error = str(failure.message)
        if found.version != version:
            error = _(
                "Someone else changed the plan in the meantime. Look at it again, then finalise."
            )
        context = _editor_context(case, found, error=error, refused=True)
        return render(request, "plans/plan.html", context, status=409)
    messages.success(
        request, _("Version %(number)s of the plan is finalised.") % {"number": frozen.number}
    )
    return redirect("plan_distribution", reference=case.reference)
