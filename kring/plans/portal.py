"""The plan on the participant's own page: the latest version, and its PDF to download.

The link is resolved as for the own page itself (``circle.portal.portal_view``): a bad link
gets the same "link not valid" page, and every answer is private (no referrer, not stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kring.audit import log as audit
from kring.cases.lifecycle import CaseError
from kring.circle.models import Participant, PersonalLink
from kring.circle.portal import portal_view
from kring.core.downloads import attachment
from kring.plans import distribution, document, services
from kring.plans.models import Endorsement, Plan, PlanVersion


@dataclass
class OwnPlan:
    """What the own page shows of the plan."""

    versions: list[PlanVersion]
    shown: dict[str, Any]  # the latest version, presented
    may_endorse: bool
    endorsement: Endorsement | None

    @property
    def latest(self) -> PlanVersion:
        return self.versions[0]

    @property
    def earlier(self) -> list[PlanVersion]:
        return self.versions[1:]


def _plan(participant: Participant) -> Plan | None:
    plan = Plan.objects.filter(case_id=participant.case_id).first()
    if plan is None or plan.outcome != Plan.Outcome.ACCEPTED:
        return None
    if not distribution.is_recipient(plan, participant):
        return None
    return plan


def own_plan(participant: Participant) -> OwnPlan | None:
    """The plan as the participant's page shows it, in the active language; None while there
    is no finalised version or they do not get the plan. A fixed number of queries."""
    plan = _plan(participant)
    if plan is None:
        return None
    versions = list(plan.versions.order_by("-number"))
    if not versions:
        return None
    return OwnPlan(
        versions=versions,
        shown=document.present(versions[0]),
        may_endorse=services.may_endorse_on_own_page(plan, participant),
        endorsement=plan.endorsements.filter(participant=participant).first(),
    )


@portal_view
@require_GET
def plan_pdf(request: HttpRequest, token: str, link: PersonalLink) -> HttpResponse:
    """The latest version of the plan as PDF, in the participant's language."""
    participant = link.participant
    plan = _plan(participant)
    version = services.latest_version(plan) if plan is not None else None
    if version is None:
        return render(request, "404.html", status=404)
    pdf = document.plan_pdf(version, participant.text_language)
    request.participant = participant  # type: ignore[attr-defined]
    audit.record(
        request,
        action="download",
        object_type="plan",
        object_id=version.pk,
        case_reference=participant.case.reference,
        people=[audit.Person("participant", participant.pk)],
    )
    return attachment(pdf, document.filename(version))


def _endorse(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    plan = Plan.objects.filter(case_id=participant.case_id).first()
    if plan is None:
        raise CaseError(_("You cannot endorse this plan here."))
    services.endorse_on_own_page(plan, participant)
    return _("Thank you: we have noted that you agree with the plan.")


# The own page's forms of this phase (kring.portal.views brings them together).
HANDLERS: dict[str, Callable[[HttpRequest, Participant], str | dict[str, Any]]] = {
    "endorse": _endorse,
}
