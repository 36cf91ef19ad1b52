from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import Region, User
from kring.cases.models import Assignment, Case, Status, Variant


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, place or municipality"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *Status.choices]
    )
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.all(), empty_label=_("all")
    )
    coordinator = forms.ModelChoiceField(
        label=_("Coordinator"),
        required=False,
        queryset=User.objects.filter(is_coordinator=True),
        empty_label=_("all"),
    )
    variant = forms.ChoiceField(
        label=_("Variant"), required=False, choices=[("", _("all")), *Variant.choices]
    )

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            cases = cases.filter(
                Q(reference__icontains=term)
                | Q(place__icontains=term)
                | Q(municipality__name__icontains=term)
            )
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data["region"]:
            cases = cases.filter(region=data["region"])
        if data["coordinator"]:
            cases = cases.filter(
                pk__in=Assignment.objects.filter(
                    coordinator=data["coordinator"],
                    state__in=[Assignment.State.OFFERED, Assignment.State.ACCEPTED],
                ).values("case_id")
            )
        if data["variant"]:
            cases = cases.filter(variant=data["variant"])
        return cases


class StatusChangeForm(forms.Form):
    target = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
