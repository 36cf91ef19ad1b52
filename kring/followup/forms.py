"""The follow-up's forms: the questionnaire (entered by a researcher after a call, or by the
respondent on their own page), a phone call's outcome, a further moment, closing a moment.

The questionnaire names agreements by number and date only by default: an agreement's text
may name people, and a researcher must not read names. The participant's own page may show
the text (``with_text=True``): it is their own plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kring.followup import services
from kring.followup.models import AgreementOutcome, ContactAttempt, Respondent
from kring.plans.models import Agreement

MAX_VERSION = 2**31 - 1
CHOOSE = _("Choose an answer.")
RECOMMEND_CHOICES = [("yes", _("yes")), ("no", _("no")), ("unsure", _("I don't know"))]
RECOMMEND_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "unsure": None, "": None}
CALL_OUTCOMES = [
    (value, label)
    for value, label in ContactAttempt.Outcome.choices
    if value != ContactAttempt.Outcome.SENT
]


def _day(value: Any) -> str:
    return formats.date_format(value, "j F Y")


def agreement_when(agreement: Agreement) -> str:
    """When an agreement was to be carried out, as dates only: the free text of a recurring
    agreement ("every Monday with Ayse") may name people."""
    on, until = agreement.on, agreement.until
    if on and until:
        return gettext("from %(start)s to %(end)s") % {"start": _day(on), "end": _day(until)}
    if on:
        return gettext("on %(date)s") % {"date": _day(on)}
    if agreement.when == Agreement.When.RECURRING:
        return gettext("recurring")
    return ""


def agreement_label(agreement: Agreement, number: int, *, with_text: bool = False) -> str:
    """ "Agreement 2 (on 12 March 2027)"; with the agreement's own words on the participant's
    page."""
    label = gettext("Agreement %(number)s") % {"number": number}
    when = agreement_when(agreement)
    if when:
        label = f"{label} ({when})"
    if with_text and agreement.what.strip():
        label = f"{label}: {agreement.what.strip()}"
    return label


def _question(name: str) -> str:
    """The question as the model words it (the field's verbose name)."""
    return capfirst(str(getattr(Respondent._meta.get_field(name), "verbose_name", name)))


class QuestionnaireForm(forms.Form):
    """Per agreement: done, partly, not, no longer relevant; then how things are now.

    Build it with the case's agreements (``services.agreements_of(case)``); the fields are
    ``agreement-<pk>``, ``better``, ``satisfaction``, ``recommend``, ``new_conference`` and
    ``remark``. :meth:`to_answers` gives what :func:`services.save_answers` stores.
    """

    better = forms.TypedChoiceField(
        choices=Respondent.Better.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
    satisfaction = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 11)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 is very dissatisfied, 10 very satisfied."),
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
    recommend = forms.ChoiceField(
        choices=RECOMMEND_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": CHOOSE},
    )
    new_conference = forms.ChoiceField(
        choices=Respondent.Needed.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": CHOOSE},
    )
    remark = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )

    def __init__(
        self, agreements: Iterable[Agreement], *args: Any, with_text: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agreements = list(agreements)
        for name in ("better", "satisfaction", "recommend", "new_conference", "remark"):
            self.fields[name].label = _question(name)
        self.fields["remark"].help_text = gettext(
            "In the respondent's own words, about the plan and the conference."
        )
        for number, agreement in enumerate(self.agreements, start=1):
            self.fields[self.agreement_field(agreement)] = forms.ChoiceField(
                label=agreement_label(agreement, number, with_text=with_text),
                choices=AgreementOutcome.Outcome.choices,
                widget=forms.RadioSelect,
                error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
            )
        self.order_fields([self.agreement_field(a) for a in self.agreements])

    @staticmethod
    def agreement_field(agreement: Agreement) -> str:
        return f"agreement-{agreement.pk}"

    @property
    def agreement_fields(self) -> list[forms.BoundField]:
        return [self[self.agreement_field(a)] for a in self.agreements]

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("better", "satisfaction", "recommend", "new_conference")]

    def to_answers(self) -> services.Answers:
        data = self.cleaned_data
        return services.Answers(
            outcomes={a.pk: data[self.agreement_field(a)] for a in self.agreements},
            better=data["better"],
            satisfaction=data["satisfaction"],
            recommend=RECOMMEND_VALUES[data.get("recommend") or ""],
            new_conference=data.get("new_conference") or "",
            remark=data.get("remark") or "",
        )


def initial_for(respondent: Respondent) -> dict[str, Any]:
    """The questionnaire as last saved, to correct it; empty before the first answer."""
    if not respondent.answered:
        return {}
    initial: dict[str, Any] = {
        "better": respondent.better,
        "satisfaction": respondent.satisfaction,
        "recommend": {True: "yes", False: "no", None: "unsure"}[respondent.recommend],
        "new_conference": respondent.new_conference,
        "remark": respondent.remark,
    }
    for agreement_id, outcome in respondent.outcomes.values_list("agreement_id", "outcome"):
        initial[f"agreement-{agreement_id}"] = outcome
    return initial


class CallForm(forms.Form):
    """How a researcher's phone call went."""

    outcome = forms.ChoiceField(
        label=_("How did the call go?"),
        choices=CALL_OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the call went."), "invalid_choice": CHOOSE},
    )


class MomentForm(forms.Form):
    """A further follow-up moment for the case, counted from the meeting."""

    months = forms.IntegerField(
        label=_("Months after the meeting"),
        min_value=1,
        max_value=36,
        error_messages={
            "required": _("Choose a number of months from 1 to 36."),
            "invalid": _("Choose a number of months from 1 to 36."),
            "min_value": _("Choose a number of months from 1 to 36."),
            "max_value": _("Choose a number of months from 1 to 36."),
        },
    )


class CloseForm(forms.Form):
    """Closing acts on the follow-up as the researcher saw it."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


class FindForm(forms.Form):
    """The code a respondent reads out on the phone."""

    code = forms.CharField(
        label=_("Code of the respondent"),
        max_length=40,
        error_messages={"required": _("Type the code the respondent gives you.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def normalised(self) -> str:
        """Upper case, without spaces or dashes: "abcd efgh" and "ABCD-EFGH" are one code."""
        raw = self.cleaned_data.get("code", "") if self.is_valid() else ""
        return "".join(c for c in raw.upper() if c.isalnum())
