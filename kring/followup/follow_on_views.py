"""The page that starts a new conference from an old case (see :mod:`kring.followup.follow_on`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.access import get_managed_case
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case
from kring.followup import follow_on as service


class FollowOnForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    another = forms.BooleanField(
        label=gettext_lazy("Yes, start another new conference from this case"),
        required=False,
    )


def _page(
    request: HttpRequest,
    case: Case,
    *,
    form: FollowOnForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    look = service.preview(case)
    audit.record(
        request,
        action="view",
        object_type="follow_on",
        object_id=case.pk,
        case_reference=case.reference,
        people=[
            audit.Person("requester", case.pk),
            *[audit.Person("participant", p.pk) for p in look.copied],
            *[audit.Person("participant", left.participant.pk) for left in look.left],
        ],
    )
    if form is None:
        form = FollowOnForm(initial={"version": case.version}, auto_id="follow_on_%s")
    return render(
        request,
        "cases/follow_on.html",
        {"case": case, "look": look, "form": form, "error": error},
        status=status,
    )


@roles_required(Role.REGIONAL_MANAGER)
def follow_on(request: HttpRequest, reference: str) -> HttpResponse:
    """GET shows what the new conference takes over (and what not); POST starts it."""
    case = get_managed_case(request, reference)
    if request.method != "POST":
        return _page(request, case)
    form = FollowOnForm(request.POST, auto_id="follow_on_%s")
    if not form.is_valid():
        return _page(
            request,
            case,
            error=_("This step could not be read. Reload the page and try again."),
            status=400,
        )
    problem = service.problem(case)
    if problem is not None:
        return _page(request, case, error=problem, status=400)
    try:
        new = service.follow_on(
            case,
            staff_user(request),
            version=form.cleaned_data["version"],
            another=form.cleaned_data["another"],
        )
    except CaseError as failure:
        # Stale (a second submit of the same form, or someone changed the case) or a new
        # conference already exists: offer the choice again on the current version.
        case.refresh_from_db()
        data = request.POST.copy()
        data["version"] = str(case.version)
        if not isinstance(failure, service.FollowOnExists):
            data.pop("another", None)
        retry = FollowOnForm(data, auto_id="follow_on_%s")
        retry.is_valid()
        return _page(request, case, form=retry, error=str(failure.message), status=409)
    messages.success(
        request,
        _(
            "The new conference %(reference)s is started from %(previous)s. The intake and the "
            "funding start anew; everyone in the circle is asked again."
        )
        % {"reference": new.reference, "previous": case.reference},
    )
    return redirect(new)
