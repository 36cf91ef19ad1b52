from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import formats, timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from kring.accounts.forms import clean_phone
from kring.accounts.models import (
    LANGUAGE_CHOICES,
    Gender,
    Organisation,
    Region,
    User,
)
from kring.cases.access import filter_coordinator_rows, filter_coordinators
from kring.cases.intake import FundingData
from kring.cases.models import (
    ACTIVE_ASSIGNMENT_STATES,
    Assignment,
    BottomLine,
    Case,
    Channel,
    Funding,
    RequesterRelation,
    Status,
    Urgency,
    Variant,
)
from kring.cases.norms import over_norm
from kring.cases.search import searched
from kring.core.prepared import Prepared
from kring.core.renderers import ListSelect

# The regions, on every case list: SQL written once per process (kring.core.prepared).
_REGIONS = Prepared(lambda: Region.objects.values_list("pk", "name"))


# The list's filters besides the search.
FILTERS = ("status", "region", "coordinator", "variant", "late")


class Pairs(BaseChoiceIterator):
    """Choices that are (value, label) pairs already: a widget takes them as they are, where it
    would go through a list's every pair to make it such (200 coordinators: 0.15 ms a page)."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


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
        label=_("Region"),
        required=False,
        queryset=Region.objects.all(),
        empty_label=_("all"),
        widget=ListSelect,
    )
    coordinator = forms.ModelChoiceField(
        label=_("Coordinator"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("all"),
        widget=ListSelect,
    )
    variant = forms.ChoiceField(
        label=_("Variant"), required=False, choices=[("", _("all")), *Variant.choices]
    )
    late = forms.BooleanField(label=_("Only over the norm"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.broad = user.is_regional_manager
        # The regions as plain rows (a model choice field reads them through a server-side
        # cursor on PostgreSQL: three round trips).
        region = cast(forms.ModelChoiceField, self.fields["region"])
        region.widget.choices = [("", region.empty_label), *_REGIONS()]
        if not user.is_regional_manager:  # a coordinator's list holds their own cases only
            del self.fields["coordinator"]
            return
        # Any coordinator may be filtered on (a manager may ask one from another region, and
        # an old link still works); the list shows those of the manager's regions, and the
        # one chosen. Every coordinator in the country was 480 options at 100,000 cases.
        field = cast(forms.ModelChoiceField, self.fields["coordinator"])
        field.queryset = User.objects.filter(is_coordinator=True)
        chosen = str(self.data.get("coordinator", "")) if self.is_bound else ""
        if chosen.isdigit() and len(chosen) < 19:  # a key, not an overflow
            shown = filter_coordinators(user) | User.objects.filter(
                is_coordinator=True, pk=int(chosen)
            )
            rows = list(shown.values_list("pk", "full_name", "email"))
        else:
            rows = filter_coordinator_rows(user)
        field.widget.choices = Pairs(
            [("", field.empty_label), *((pk, name or email) for pk, name, email in rows)]
        )

    # After apply(): how SQLite best reads a manager's plain search (kring.cases.search).
    search_hint = ""

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        if data["q"]:
            # The plan only for a manager's whole regions and the term alone: a coordinator's
            # few cases, or a filter that narrows the list, are read best along their own
            # indexes (walking the list's index for a frequent term would pass them by).
            plain = not any(data.get(name) for name in FILTERS)
            found = searched(cases, data["q"], plan=self.broad and plain)
            cases, self.search_hint = found.cases, found.hint
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data["region"]:
            cases = cases.filter(region=data["region"])
        if data.get("coordinator"):
            cases = cases.filter(
                pk__in=Assignment.objects.filter(
                    coordinator=data["coordinator"],
                    state__in=ACTIVE_ASSIGNMENT_STATES,
                ).values("case_id")
            )
        if data["variant"]:
            cases = cases.filter(variant=data["variant"])
        if data["late"]:
            cases = cases.filter(over_norm())
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


# --- Requests ---------------------------------------------------------------------------

POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")


class RequestForm(forms.ModelForm[Case]):
    """What a request needs, whoever enters it: the same fields and checks for the public form
    and for a manager who takes a request by phone."""

    class Meta:
        model = Case
        fields = [
            "requester_name",
            "requester_email",
            "requester_phone",
            "requester_relation",
            "requester_organisation",
            "description",
            "postcode",
            "address",
            "municipality_name",
            "place",
            "variant",
            "involved",
            "urgency",
            "coordinator_language",
            "coordinator_gender",
        ]
        labels = {
            "requester_name": _("Your name"),
            "requester_email": _("Email address"),
            "requester_phone": _("Phone number"),
            "requester_relation": _("How are you involved?"),
            "requester_organisation": _("Your organisation"),
            "description": _("What is going on?"),
            "postcode": _("Postcode"),
            "address": _("House number or street"),
            "municipality_name": _("Municipality"),
            "place": _("For which group, street, school or organisation?"),
            "variant": _("What kind of conference?"),
            "involved": _("Who are involved, roughly?"),
            "urgency": _("How urgent is it?"),
            "coordinator_language": _("Language the coordinator should speak"),
            "coordinator_gender": _("Would you prefer a woman or a man as coordinator?"),
        }
        help_texts = {
            "requester_email": _(
                "We send the confirmation here. Give an email address, a phone number, or both."
            ),
            "requester_phone": _("For example 06 12345678."),
            "requester_organisation": _("Only if you ask as a professional."),
            "description": _(
                "In your own words. Do not write more about other people than "
                "is needed to understand the question."
            ),
            "postcode": _("Of the street or place where it happens, for example 1053 AB."),
            "place": _("For example: the residents of the Molenstraat, group 7 of De Regenboog."),
            "involved": _(
                "For example: residents of numbers 1–20, the youths on the square, "
                "the school, the police. Names are not needed yet."
            ),
            "coordinator_language": _("Leave empty if Dutch is fine."),
            "municipality_name": "",
        }
        widgets = {
            "requester_relation": forms.RadioSelect,
            "variant": forms.RadioSelect,
            "urgency": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 6}),
            "involved": forms.Textarea(attrs={"rows": 3}),
            "requester_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "requester_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "requester_phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code", "size": 8}),
            "municipality_name": forms.TextInput(
                attrs={"autocomplete": "address-level2", "list": "municipalities"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coordinator_language"].choices = [  # type: ignore[attr-defined]
            ("", _("no preference")),
            *[(code, label) for code, label in LANGUAGE_CHOICES if code != "nl"],
        ]
        self.fields["coordinator_gender"].choices = [  # type: ignore[attr-defined]
            ("", _("no preference")),
            (Gender.FEMALE, _("a woman")),
            (Gender.MALE, _("a man")),
        ]
        # Radio buttons without the empty "---------" choice.
        for name, choices in (
            ("requester_relation", RequesterRelation.choices),
            ("variant", Variant.choices),
            ("urgency", Urgency.choices),
        ):
            self.fields[name].choices = choices  # type: ignore[attr-defined]
        self.fields["description"].widget.attrs["maxlength"] = 4000
        self.fields["involved"].widget.attrs["maxlength"] = 2000

    def clean_postcode(self) -> str:
        value = str(self.cleaned_data.get("postcode") or "").strip()
        if not value:
            return ""
        found = POSTCODE.match(value)
        if not found:
            raise forms.ValidationError(
                _("Enter a Dutch postcode: four digits and two letters, for example 1053 AB.")
            )
        return f"{found.group(1)} {found.group(2).upper()}"

    def clean_requester_phone(self) -> str:
        return clean_phone(str(self.cleaned_data.get("requester_phone") or ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reachable = data.get("requester_email") or data.get("requester_phone")
        unread = "requester_email" in self.errors or "requester_phone" in self.errors
        if not reachable and not unread:
            self.add_error(
                "requester_email",
                _("Give an email address or a phone number, so that we can reach you."),
            )
        if (
            data.get("requester_relation") == RequesterRelation.PROFESSIONAL
            and not (data.get("requester_organisation") or "").strip()
        ):
            self.add_error(
                "requester_organisation", _("As a professional, name your organisation.")
            )
        where = data.get("postcode") or (data.get("municipality_name") or "").strip()
        if not where and "postcode" not in self.errors:
            self.add_error("postcode", _("Give the postcode or the municipality where it happens."))
        return data

    def cleaned_data_for_case(self) -> dict[str, Any]:
        """The cleaned values that are fields of the case."""
        fields = self._meta.fields or []
        return {name: self.cleaned_data[name] for name in fields}


class PublicRequestForm(RequestForm):
    # A field people never see: bots that fill every field give themselves away.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)
    consent = forms.BooleanField(
        label=_(
            "I agree that Kring keeps and uses these details to handle my request, as "
            "described above."
        ),
        error_messages={"required": _("Without your consent we cannot handle the request.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class StaffRequestForm(RequestForm):
    """A request taken by phone, email or in person, entered by a regional manager."""

    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=[c for c in Channel.choices if c[0] != Channel.ONLINE],
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
    )
    requester_language = forms.ChoiceField(
        label=_("Language for the requester"), choices=settings.LANGUAGES, initial="nl"
    )
    consent = forms.BooleanField(
        label=_("The requester agreed that Kring keeps and uses these details for the request."),
        error_messages={"required": _("Record the requester's consent before saving.")},
    )
    send_confirmation = forms.BooleanField(
        label=_("Send the requester a confirmation email"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester_name"].label = _("Requester's name")
        self.fields["requester_relation"].label = _("Relation to the matter")
        self.fields["requester_organisation"].label = _("Requester's organisation")


class MoveRegionForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Move to"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("national inbox"),
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- Intake -----------------------------------------------------------------------------


class IntakeForm(forms.Form):
    intake_on = forms.DateField(
        label=_("Date of the intake conversation"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    intake_notes = forms.CharField(
        label=_("Notes of the conversation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        help_text=_("For the manager and the coordinator: keep to what the conference needs."),
    )
    question_1 = forms.CharField(label=_("Conference question 1"), required=False, max_length=300)
    question_2 = forms.CharField(label=_("Conference question 2"), required=False, max_length=300)
    question_3 = forms.CharField(label=_("Conference question 3"), required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    QUESTIONS = ("question_1", "question_2", "question_3")

    def __init__(self, *args: Any, requested_on: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested_on = requested_on
        for name in self.QUESTIONS:
            self.fields[name].widget.attrs.update(
                {
                    "data-hx-post": reverse_lazy("question_check"),
                    "data-hx-trigger": "input changed delay:400ms",
                    "data-hx-target": f"#{name}-check",
                    "data-hx-swap": "innerHTML",
                    "aria-describedby": f"{name}-check",
                }
            )

    def clean_intake_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("intake_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The conversation cannot lie in the future."))
        if value and self.requested_on and value < self.requested_on:
            raise forms.ValidationError(
                _("The conversation cannot lie before the request (%(date)s).")
                % {"date": formats.date_format(self.requested_on, "j F Y")}
            )
        return value

    def questions(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.QUESTIONS]


def on_version(data: QueryDict, version: int) -> QueryDict:
    """Submitted data moved onto the current version: after a refusal because someone else
    changed the object, the user sees their input again and can retry knowingly."""
    data = data.copy()
    data["version"] = str(version)
    return data


class VersionForm(forms.Form):
    """A button that acts on what the user saw: the version of the case on their page."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class BottomLineForm(forms.ModelForm[BottomLine]):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = BottomLine
        fields = ["text", "set_by", "mandate"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "maxlength": 1000})}


FUNDING_KINDS = [
    (Organisation.Kind.MUNICIPALITY, Organisation.Kind.MUNICIPALITY.label),
    (Organisation.Kind.PROVINCE, Organisation.Kind.PROVINCE.label),
    (Organisation.Kind.SCHOOL, Organisation.Kind.SCHOOL.label),
    (Organisation.Kind.HOUSING, Organisation.Kind.HOUSING.label),
    (Organisation.Kind.CARE, Organisation.Kind.CARE.label),
    (Organisation.Kind.OTHER, Organisation.Kind.OTHER.label),
]


class FundingForm(forms.Form):
    financier = forms.CharField(label=_("Financier"), max_length=120)
    kind = forms.ChoiceField(label=_("Type of financier"), choices=FUNDING_KINDS)
    contact_person = forms.CharField(label=_("Contact person"), required=False, max_length=120)
    amount = forms.DecimalField(
        label=_("Amount (euro)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        max_digits=9,
        decimal_places=2,
        localize=True,
    )
    reference = forms.CharField(label=_("Reference or order number"), required=False, max_length=60)
    decision = forms.ChoiceField(label=_("Decision"), choices=Funding.Decision.choices)
    decided_on = forms.DateField(
        label=_("Date of the decision"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decided = data.get("decision") in (Funding.Decision.APPROVED, Funding.Decision.REFUSED)
        if decided and not data.get("decided_on"):
            self.add_error("decided_on", _("Give the date of the decision."))
        if data.get("decision") == Funding.Decision.PENDING and data.get("decided_on"):
            self.add_error("decided_on", _("A pending decision has no date yet."))
        if data.get("decided_on") and data["decided_on"] > timezone.localdate():
            self.add_error("decided_on", _("The date cannot lie in the future."))
        return data

    def to_data(self) -> FundingData:
        data = self.cleaned_data
        return FundingData(
            financier=data["financier"],
            kind=data["kind"],
            contact_person=data["contact_person"],
            amount=data["amount"],
            reference=data["reference"],
            decision=data["decision"],
            decided_on=data["decided_on"],
        )

    @classmethod
    def initial_for(cls, funding: Funding) -> dict[str, Any]:
        return {
            "financier": funding.organisation.name,
            "kind": funding.organisation.kind,
            "contact_person": funding.contact_person,
            "amount": funding.amount,
            "reference": funding.reference,
            "decision": funding.decision,
            "decided_on": funding.decided_on,
            "version": funding.version,
        }


# --- Coordinators -----------------------------------------------------------------------


class AskCoordinatorForm(forms.Form):
    coordinator = forms.ModelChoiceField(
        queryset=User.objects.filter(is_coordinator=True, is_active=True),
        widget=forms.HiddenInput,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ConflictForm(forms.Form):
    coordinator = forms.ModelChoiceField(
        label=_("Coordinator"),
        queryset=User.objects.filter(is_coordinator=True, is_active=True).order_by("full_name"),
        empty_label=_("choose a coordinator"),
    )
    reason = forms.CharField(
        label=_("Why the coordinator has a conflict of interest"), max_length=300
    )


DECLARATION = [
    _("I have no stake in the outcome of this conference."),
    _(
        "I have no link to the people or organisations involved, as far as I know now; if one "
        "appears, I say so at once."
    ),
    _("I have no say in the content of the plan: the plan belongs to the participants."),
]


class AcceptAssignmentForm(forms.Form):
    no_stake = forms.BooleanField(label=DECLARATION[0])
    no_link = forms.BooleanField(label=DECLARATION[1])
    no_say = forms.BooleanField(label=DECLARATION[2])

    def declaration(self, name: str) -> str:
        lines = "\n".join(f"- {text}" for text in DECLARATION)
        return f"{lines}\n— {name}, {timezone.localtime():%Y-%m-%d %H:%M}"


class DeclineAssignmentForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )
    conflict = forms.BooleanField(
        label=_("I have a conflict of interest in this case"), required=False
    )
