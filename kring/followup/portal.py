"""The follow-up on the participant's own page: research consent, and the questionnaire while
a follow-up moment is open for them.

The own page (``circle.portal``) shows what :func:`research_context` gives, in a fixed number
of queries, and sends the actions ``research_consent``, ``follow_up`` and
``follow_up_decline`` to the handlers here. A handler returns the message to show after the
redirect, or a dict of what to show again (with status 400, or 409 for answers saved in the
meantime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kring.cases.lifecycle import CaseError
from kring.circle.models import Participant
from kring.followup import services
from kring.followup.forms import MAX_VERSION, QuestionnaireForm, initial_for
from kring.followup.models import AgreementOutcome, ConsentChange, FollowUp, Respondent
from kring.plans.models import Agreement


@dataclass
class Summary:
    """The answers as given, in words, for the "thank you" on the own page."""

    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (agreement, outcome)
    questions: list[tuple[str, str]] = field(default_factory=list)  # (question, answer)


@dataclass
class OwnFollowUp:
    """What the own page shows of the research."""

    consent: bool | None
    phone: str
    # The moment's respondent row shown on the page: one to answer, or already answered (the
    # answers can be changed while the moment is open), or declined.
    respondent: Respondent | None = None
    form: QuestionnaireForm | None = None
    summary: Summary | None = None

    @property
    def may_answer(self) -> bool:
        return self.form is not None

    @property
    def answered(self) -> bool:
        return self.respondent is not None and self.respondent.answered

    @property
    def declined(self) -> bool:
        return self.respondent is not None and self.respondent.declined


def shown_respondent(participant: Participant) -> Respondent | None:
    """The participant's row at an open moment: the first still to answer, else the last
    answered, else one they declined. One query."""
    rows = list(
        Respondent.objects.filter(participant=participant, follow_up__state=FollowUp.State.OPEN)
        .select_related("follow_up")
        .order_by("follow_up__due_on", "pk")
    )
    waiting = [r for r in rows if not r.answered and not r.declined]
    if waiting:
        return waiting[0]
    answered = [r for r in rows if r.answered]
    if answered:
        return answered[-1]
    return rows[0] if rows else None


def _answerable(participant: Participant) -> Respondent | None:
    """The row an answer from the own page goes to, if any."""
    if not participant.may_be_asked_for_research:
        return None
    respondent = shown_respondent(participant)
    if respondent is None or respondent.declined:
        return None
    return respondent


def questionnaire(agreements: list[Agreement], *args: Any, **kwargs: Any) -> QuestionnaireForm:
    """The questionnaire as the participant sees it: their plan's agreements in its words."""
    form = QuestionnaireForm(agreements, *args, with_text=True, auto_id="follow_up_%s", **kwargs)
    form.fields["remark"].help_text = _(
        "Anything you want to add, about the plan or the conference."
    )
    return form


def _summary(
    agreements: list[Agreement], initial: dict[str, Any], respondent: Respondent
) -> Summary:
    labels = questionnaire(agreements)  # the questions' words; no query
    outcomes = dict(AgreementOutcome.Outcome.choices)
    summary = Summary()
    for bound in labels.agreement_fields:
        given = str(initial.get(bound.name, ""))
        summary.outcomes.append((str(bound.label), str(outcomes.get(given, ""))))
    recommend = {True: _("yes"), False: _("no"), None: _("I don't know")}[respondent.recommend]
    summary.questions = [
        (str(labels["better"].label), respondent.get_better_display()),
        (str(labels["satisfaction"].label), str(respondent.satisfaction or "")),
        (str(labels["recommend"].label), str(recommend)),
        (
            str(labels["new_conference"].label),
            respondent.get_new_conference_display() if respondent.new_conference else "",
        ),
    ]
    return summary


def research_context(
    participant: Participant,
    *,
    questionnaire_form: QuestionnaireForm | None = None,
    moments: bool = True,
) -> OwnFollowUp:
    """The research part of the own page: one query; three or four when questions show; none
    while the case is where no moment can be open yet (``moments`` false: before the plan)."""
    own = OwnFollowUp(consent=participant.research_consent, phone=settings.KRING_RESEARCH_PHONE)
    if not moments:
        return own
    respondent = shown_respondent(participant)
    if respondent is None:
        return own
    if respondent.declined:  # said so, which also ended their consent: say so, ask nothing
        own.respondent = respondent
        return own
    if not participant.may_be_asked_for_research:
        return own
    own.respondent = respondent
    agreements = (
        questionnaire_form.agreements
        if questionnaire_form is not None
        else services.agreements_of(participant.case)
    )
    initial = initial_for(respondent)
    own.form = questionnaire_form or questionnaire(agreements, initial=initial)
    if respondent.answered:
        own.summary = _summary(agreements, initial, respondent)
    return own


# --- Actions ------------------------------------------------------------------------------


def give_or_withdraw(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    value = request.POST.get("value", "")
    if value not in ("yes", "no"):
        return {"error": _("This form could not be read. Try again.")}
    given = value == "yes"
    services.set_consent(participant, given, via=ConsentChange.Via.OWN_PAGE)
    if given:
        return _(
            "Thank you: about three months after the conference we will ask you how the plan "
            "went. You can change your mind here at any time."
        )
    return _(
        "We have noted that you do not want to take part in the research. You will not be "
        "asked, nor reminded. You can change your mind here at any time."
    )


def answer(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    respondent = _answerable(participant)
    if respondent is None:
        raise CaseError(_("There are no questions waiting for you."))
    form = questionnaire(services.agreements_of(participant.case), request.POST)
    if not form.is_valid():
        return {
            "questionnaire_form": form,
            "error": _("Not every question is answered: see the questions marked below."),
        }
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    if not 1 <= version <= MAX_VERSION:
        return {"questionnaire_form": form, "error": _("This form could not be read. Try again.")}
    changed = respondent.answered
    try:
        services.save_answers(
            respondent, form.to_answers(), via=Respondent.Via.OWN_PAGE, version=version
        )
    except CaseError as failure:
        # Saved in the meantime (another window, or a researcher after a call): show what was
        # typed again, on the current version, so that sending it once more is a choice.
        return {"questionnaire_form": form, "error": str(failure.message), "status": 409}
    if changed:
        return _("Thank you: your changed answers are saved.")
    return _("Thank you for your answers. They help to learn what a conference brings about.")


def decline(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    respondent = _answerable(participant)
    if respondent is None or respondent.answered:
        raise CaseError(_("There are no questions waiting for you."))
    services.decline(respondent)
    return _(
        "We have noted that you do not want to answer. You will receive nothing more about this."
    )


HANDLERS = {
    "research_consent": give_or_withdraw,
    "follow_up": answer,
    "follow_up_decline": decline,
}
