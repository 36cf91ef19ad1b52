"""The plan editor's forms: the plan's text (answers, who watches over it, what if something
does not work), and one form per kind of item (agreement, request to an organisation,
evaluation moment).

The forms check shape only (lengths, dates, people of this circle); what the plan needs to be
precise is the precision check's business, shown while editing and enforced when finalising.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, ConferenceQuestion
from kring.circle.models import Participant, Willingness
from kring.plans.models import Agreement, Evaluation, OrganisationRequest

MAX_VERSION = 2**31 - 1
MAX_ID = 2**63 - 1
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def circle_people(case: Case, keep: Iterable[int] = ()) -> QuerySet[Participant]:
    """Who can be named in the plan: the case's participants who did not decline, and anyone
    already named (so that editing never silently drops them)."""
    return (
        Participant.objects.filter(case=case)
        .filter(~Q(willingness=Willingness.NO) | Q(pk__in=list(keep)))
        .order_by("name", "pk")
    )


def infer_when(on: dt.date | None, until: dt.date | None, recurrence: str) -> str:
    """Without a choice of the kind of "when", what was filled in says which is meant (a
    form without JavaScript shows every field at once)."""
    if on and until:
        return Agreement.When.PERIOD
    if on:
        return Agreement.When.DATE
    if recurrence.strip():
        return Agreement.When.RECURRING
    return Agreement.When.NONE


class PeopleField(forms.ModelMultipleChoiceField):
    """Checkboxes of participants; errors name the field, not the database."""

    default_error_messages = {
        "invalid_choice": _("Choose people from this case's circle."),
        "invalid_pk_value": _("Choose people from this case's circle."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Participant.objects.none(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value: Any) -> Any:
        # Ids the database cannot hold (SQLite raises OverflowError) are simply not people here.
        if isinstance(value, (list, tuple)):
            for chosen in value:
                try:
                    number = int(str(chosen))
                except ValueError:
                    continue  # the field's own check names it
                if not 0 < number <= MAX_ID:
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice"
                    )
        return super().clean(value)


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


class PlanTextForm(forms.Form):
    """Per conference question the circle's answer; who watches over the plan, how; and what
    happens if something does not work."""

    monitors = PeopleField(
        label=_("Who watches over the plan"),
        help_text=_("One or more people from the circle."),
    )
    monitor_note = forms.CharField(
        label=_("Watching over the plan, how"),
        help_text=_("For example: checks every month with everyone whether it is working."),
        max_length=300,
        required=False,
    )
    contingency = forms.CharField(
        label=_("What we do if something does not work"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = _version_field()

    def __init__(
        self,
        *args: Any,
        case: Case,
        questions: list[ConferenceQuestion],
        monitors: Iterable[int] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["monitors"].queryset = circle_people(case, monitors)  # type: ignore[attr-defined]
        answers: dict[str, forms.Field] = {}
        for question in questions:
            answers[self.answer_name(question)] = forms.CharField(
                label=question.text,
                max_length=3000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        # The answers come first, in the order of the questions.
        self.fields = {**answers, **self.fields}

    @staticmethod
    def answer_name(question: ConferenceQuestion) -> str:
        return f"answer_{question.pk}"

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[self.answer_name(q)] for q in self.questions]

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data[self.answer_name(q)] for q in self.questions}


class ItemForm(forms.ModelForm[Any]):
    """What the three kinds share: a hidden version when an existing item is edited."""

    fields_for_service: tuple[str, ...] = ()

    def __init__(self, *args: Any, case: Case, versioned: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        if versioned:
            self.fields["version"] = _version_field()

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields_for_service}


class AgreementForm(ItemForm):
    fields_for_service = (
        "what",
        "who",
        "who_organisation",
        "where",
        "when",
        "on",
        "until",
        "recurrence",
    )

    who = PeopleField(
        label=_("Who"),
        help_text=_("One or more people from the circle; or an organisation below."),
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=Agreement.When.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Agreement
        fields = ["what", "who", "who_organisation", "where", "when", "on", "until", "recurrence"]
        widgets = {
            "what": forms.Textarea(attrs={"rows": 3}),
            "on": DATE_WIDGET,
            "until": DATE_WIDGET,
        }
        labels = {"on": _("Date, or start of the period")}
        help_texts = {"until": _("Only for a period.")}

    def __init__(self, *args: Any, case: Case, versioned: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, case=case, versioned=versioned, **kwargs)
        named = [p.pk for p in self.initial.get("who") or []]
        self.fields["who"].queryset = circle_people(case, named)  # type: ignore[attr-defined]
        # An agreement says at least what is agreed; the rest may follow while the circle
        # talks (the precision check lists what is still missing).
        self.fields["what"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when, on, until = data.get("when") or "", data.get("on"), data.get("until")
        if not when and not self.has_error("on") and not self.has_error("until"):
            when = data["when"] = infer_when(on, until, data.get("recurrence") or "")
        if when == "period" and on and until and until < on:
            self.add_error("until", _("The end of the period lies before its start."))
        elif when == "period" and until and not on and not self.has_error("on"):
            self.add_error("on", _("A period needs a start date too."))
        if when != "period":
            data["until"] = None
        if when not in ("date", "period"):
            data["on"] = None
        if when != "recurring":
            data["recurrence"] = ""
        return data


class RequestForm(ItemForm):
    fields_for_service = ("organisation", "request", "reply", "reply_note")

    class Meta:
        model = OrganisationRequest
        fields = ["organisation", "request", "reply", "reply_note"]
        widgets = {"request": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"organisation": _("For example: the housing corporation.")}


class EvaluationForm(ItemForm):
    fields_for_service = ("on", "description")

    class Meta:
        model = Evaluation
        fields = ["on", "description"]
        widgets = {"on": DATE_WIDGET}


ITEM_FORMS: dict[str, type[ItemForm]] = {
    "agreement": AgreementForm,
    "request": RequestForm,
    "evaluation": EvaluationForm,
}


class FinaliseForm(forms.Form):
    version = _version_field()


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("up")), ("down", _("down"))])


class RemoveForm(forms.Form):
    version = _version_field()
