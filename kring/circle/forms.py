from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.forms import clean_phone
from kring.cases.models import Case
from kring.circle.models import Category, ContactMoment, Participant, Willingness
from kring.circle.services import DETAIL_FIELDS, NEED_FIELDS, normalise_phone
from kring.core.forms import name_empty_choice

PHONE_CHARACTERS = re.compile(r"[0-9+\-() .]+")


class ParticipantForm(forms.ModelForm[Participant]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Participant
        fields = DETAIL_FIELDS
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3, "maxlength": 300})}

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Participant.objects.filter(case=case).order_by("name")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["suggested_by"].queryset = others  # type: ignore[attr-defined]
        self.fields["suggested_by"].empty_label = _("nobody (the coordinator found them)")  # type: ignore[attr-defined]
        name_empty_choice(self.fields["category"], _("choose a category"))
        name_empty_choice(self.fields["interpreter"], _("no interpreter needed"))

    def clean_phone(self) -> str:
        return clean_phone(str(self.cleaned_data.get("phone") or ""))

    def details(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DETAIL_FIELDS}


class ContactForm(forms.ModelForm[ContactMoment]):
    class Meta:
        model = ContactMoment
        fields = ["on", "channel", "outcome", "note"]
        widgets = {"on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_empty_choice(self.fields["channel"], _("choose how"))
        name_empty_choice(self.fields["outcome"], _("choose the outcome"))

    def clean_on(self) -> Any:
        value = self.cleaned_data["on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A contact cannot lie in the future."))
        return value


class WillingnessForm(forms.Form):
    willingness = forms.ChoiceField(
        label=_("Takes part"),
        choices=[c for c in Willingness.choices if c[0] != Willingness.UNKNOWN],
        widget=forms.RadioSelect,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class InformationNeedForm(forms.Form):
    question = forms.CharField(label=_("What does the circle need to know?"), max_length=300)
    answered_by = forms.ModelChoiceField(
        label=_("Who brings the answer"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label=_("not known yet"),
    )
    in_writing = forms.BooleanField(label=_("The answer comes in writing"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answered_by"].queryset = (  # type: ignore[attr-defined]
            Participant.objects.filter(case=case)
            .exclude(willingness=Willingness.NO)
            .order_by("name")
        )


# --- The participant's own page ---------------------------------------------------------


class PortalWillingnessForm(forms.Form):
    willingness = forms.ChoiceField(
        label=_("Will you take part?"),
        choices=[
            (Willingness.YES, _("Yes, I take part")),
            (Willingness.NOT_YET, _("I do not know yet")),
            (Willingness.NO, _("No, I do not take part")),
        ],
        widget=forms.RadioSelect,
    )


class PortalNeedsForm(forms.ModelForm[Participant]):
    class Meta:
        model = Participant
        fields = NEED_FIELDS
        labels = {
            "interpreter": _("I need an interpreter for"),
            "accessibility": _("What I need to be able to come (for example a lift)"),
            "childcare": _("I need childcare to be able to come"),
            "transport": _("I need transport to be able to come"),
            "diet": _("What I eat"),
            "diet_note": _("About my diet"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_empty_choice(self.fields["interpreter"], _("I do not need an interpreter"))


SUGGESTABLE = [
    (c, label)
    for c, label in Category.choices
    if c
    in {
        Category.DIRECTLY_INVOLVED,
        Category.RESIDENT,
        Category.FAMILY,
        Category.FRIEND,
        Category.NEIGHBOUR,
        Category.COLLEAGUE,
        Category.PARENT,
        Category.TEACHER,
        Category.PROFESSIONAL,
    }
]


class PortalSuggestForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    category = forms.ChoiceField(
        label=_("Who is this for you or the situation?"), choices=SUGGESTABLE
    )
    email = forms.EmailField(label=_("Email address"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=30)

    def clean_phone(self) -> str:
        return clean_phone(str(self.cleaned_data.get("phone") or ""))


class PortalViewForm(forms.Form):
    written_view = forms.CharField(
        label=_("Your view, to be read out at the meeting"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
    )


class RevokeLinksForm(forms.Form):
    """Staff stop all of a person's links, saying why."""

    reason = forms.CharField(
        label=_("Why stop the links?"),
        max_length=200,
        help_text=_(
            "A practical reason, for example: the letter went to a wrong address. The person "
            "can still ask for a new link to the address or phone number Kring holds."
        ),
    )


class RemoveParticipantForm(forms.Form):
    """Remove someone added to the circle by mistake."""

    reason = forms.CharField(
        label=_("Why remove this person?"),
        max_length=200,
        help_text=_("For example: added twice, or added to the wrong case."),
    )
    understood = forms.BooleanField(
        label=_("I understand that this person and what was recorded of them are removed."),
        error_messages={"required": _("Tick the box to confirm the removal.")},
    )


class MergeParticipantForm(forms.Form):
    """This person is the same as someone else in the circle: merge them into that person."""

    into = forms.ModelChoiceField(
        label=_("The same person as"),
        queryset=Participant.objects.none(),
        error_messages={"required": _("Choose the person to keep.")},
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that everything of this person moves to the one chosen, and this "
            "entry is removed."
        ),
        error_messages={"required": _("Tick the box to confirm the merge.")},
    )

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["into"]
        if not isinstance(field, forms.ModelChoiceField):  # pragma: no cover - declared above
            raise TypeError(field)
        field.queryset = (
            Participant.objects.filter(case_id=participant.case_id)
            .exclude(pk=participant.pk)
            .order_by("name", "pk")
        )
        field.empty_label = _("Choose a person")


class NewLinkForm(forms.Form):
    """'Send me a new link', on the page of a link that does not work."""

    address = forms.CharField(
        label=_("Your email address or phone number"),
        max_length=254,
        help_text=_("The one the coordinator has for you."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_address(self) -> tuple[str, str]:
        """("email", the address in lower case) or ("phone", its digits)."""
        typed = self.cleaned_data["address"].strip()
        if "@" in typed:
            try:
                validate_email(typed)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Type an email address such as name@example.nl, or a phone number.")
                ) from None
            return "email", typed.casefold()
        digits = normalise_phone(typed)
        if not PHONE_CHARACTERS.fullmatch(typed) or not 8 <= len(digits) <= 15:
            raise forms.ValidationError(
                _("Type an email address such as name@example.nl, or a phone number.")
            )
        return "phone", digits


class LetterCodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code on your letter"),
        max_length=40,
        help_text=_("Ten letters and digits, for example ABCDE-23456."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
