from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, Funding
from kring.circle.models import Participant, Willingness
from kring.meetings.models import CostItem, DateAnswer, DateOption, Meeting
from kring.meetings.services import VENUE_FIELDS


class DateOptionForm(forms.Form):
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    starts = forms.TimeField(
        label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("day") and data.get("starts") and data.get("ends"):
            starts = timezone.make_aware(dt.datetime.combine(data["day"], data["starts"]))
            ends = timezone.make_aware(dt.datetime.combine(data["day"], data["ends"]))
            if ends <= starts:
                self.add_error("ends", _("The meeting must end after it starts."))
            elif starts <= timezone.now():
                self.add_error("day", _("Propose a date in the future."))
            data["starts_at"], data["ends_at"] = starts, ends
        return data


class AnswerForm(forms.Form):
    participant = forms.ModelChoiceField(
        label=_("Who"), queryset=Participant.objects.none(), empty_label=_("choose a person")
    )
    option = forms.ModelChoiceField(
        label=_("Date"), queryset=DateOption.objects.none(), empty_label=_("choose a date")
    )
    answer = forms.ChoiceField(label=_("Answer"), choices=DateAnswer.Answer.choices)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = (  # type: ignore[attr-defined]
            Participant.objects.filter(case=case)
            .exclude(willingness=Willingness.NO)
            .order_by("name")
        )
        options = DateOption.objects.filter(case=case).order_by("starts_at")
        self.fields["option"].queryset = options  # type: ignore[attr-defined]
        self.fields["option"].label_from_instance = lambda o: (  # type: ignore[attr-defined]
            f"{timezone.localtime(o.starts_at):%d-%m-%Y %H:%M}"
        )


class VenueForm(forms.ModelForm[Meeting]):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = Meeting
        fields = list(VENUE_FIELDS)
        widgets = {"catering": forms.Textarea(attrs={"rows": 2, "maxlength": 300})}


class CostForm(forms.ModelForm[CostItem]):
    class Meta:
        model = CostItem
        fields = ["description", "amount", "funding"]

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funding"].queryset = Funding.objects.filter(  # type: ignore[attr-defined]
            case=case
        ).select_related("organisation")
        self.fields["funding"].empty_label = _("none of these fundings")  # type: ignore[attr-defined]
        self.fields["amount"].validators.append(_positive)


def _positive(value: Decimal) -> None:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("Enter an amount above zero."))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the meeting cancelled?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )
