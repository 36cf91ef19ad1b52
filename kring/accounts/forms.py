"""Forms about staff themselves, and the phone-number check every form with a phone uses."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import LANGUAGE_CHOICES, CoordinatorProfile

PHONE = re.compile(r"^\+?[\d\s\-().]{8,20}$")


def clean_phone(value: str) -> str:
    """A phone number as people write it: 8 to 15 digits, with spaces, dashes or brackets."""
    value = value.strip()
    digits = sum(ch.isdigit() for ch in value)
    if value and (not PHONE.match(value) or not 8 <= digits <= 15):
        raise forms.ValidationError(
            _("Enter a phone number of 8 to 15 digits, for example 06 12345678.")
        )
    return value


class DigestForm(forms.Form):
    """A staff member's choice: the daily email of what fell due, or not."""

    daily_digest = forms.BooleanField(
        label=_("Send me a daily email of what fell due"),
        help_text=_("Once a day, only when something fell due for you."),
        required=False,
    )


class CoordinatorProfileForm(forms.Form):
    """What a coordinator keeps up to date about themselves: how participants reach them,
    which languages they speak, and whether they can take a case now."""

    phone = forms.CharField(
        label=_("Phone number for participants"),
        max_length=30,
        required=False,
        help_text=_(
            "Participants of your cases see this number on their own page and in their letters."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you can hold a conversation in"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.ChoiceField(
        label=_("Availability for new cases"),
        choices=CoordinatorProfile.Availability.choices,
        widget=forms.RadioSelect,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    @classmethod
    def initial_for(cls, profile: CoordinatorProfile) -> dict[str, Any]:
        return {
            "phone": profile.user.phone,
            "languages": list(profile.languages or []),
            "availability": profile.availability,
            "version": profile.version,
        }

    def clean_phone(self) -> str:
        return clean_phone(str(self.cleaned_data.get("phone") or ""))
