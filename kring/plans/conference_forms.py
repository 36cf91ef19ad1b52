"""The forms of the conference page (attendance, endorsement, bottom lines, outcome) and of
the aftercare call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kring.circle.models import Participant
from kring.meetings.models import Attendance, Meeting
from kring.plans.models import AftercareCall, BottomLineCheck, Plan
from kring.plans.services import Presence

# The three parts of the meeting, in their order.
PARTS: tuple[tuple[str, Any], ...] = (
    ("information", _("information")),
    ("private_time", _("private time")),
    ("plan", _("presentation of the plan")),
)
MAX_VERSION = 2**31 - 1


@dataclass(frozen=True)
class AttendanceRow:
    participant: Participant
    fields: list[forms.BoundField]


class AttendanceForm(forms.Form):
    """Who was in the room, per part: three checkboxes per participant."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)
    professionals_leave = forms.BooleanField(
        label=capfirst(Meeting._meta.get_field("professionals_leave").verbose_name),
        help_text=Meeting._meta.get_field("professionals_leave").help_text,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        people: Sequence[Participant],
        meeting: Meeting,
        present: dict[int, Attendance] | None = None,
        **kwargs: Any,
    ) -> None:
        present = present or {}
        initial: dict[str, Any] = {
            "version": meeting.version,
            "professionals_leave": meeting.professionals_leave,
        }
        for person in people:
            row = present.get(person.pk)
            for part, _label in PARTS:
                initial[self.name(person, part)] = bool(row and getattr(row, part))
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.people = list(people)
        for person in self.people:
            for part, label in PARTS:
                self.fields[self.name(person, part)] = forms.BooleanField(
                    required=False,
                    label=gettext("%(name)s: %(part)s") % {"name": person.name, "part": label},
                )

    @staticmethod
    def name(person: Participant, part: str) -> str:
        return f"p{person.pk}_{part}"

    def rows(self) -> list[AttendanceRow]:
        return [
            AttendanceRow(person, [self[self.name(person, part)] for part, _label in PARTS])
            for person in self.people
        ]

    def presence(self) -> dict[int, Presence]:
        data = self.cleaned_data
        return {
            person.pk: Presence(
                **{part: bool(data.get(self.name(person, part))) for part, _label in PARTS}
            )
            for person in self.people
        }


class EndorsementForm(forms.Form):
    """Those present at the plan's presentation who endorse it."""

    participants = forms.TypedMultipleChoiceField(
        label=_("Who endorses the plan"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: Iterable[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {p.pk: p for p in candidates}
        self.fields["participants"].choices = [  # type: ignore[attr-defined]
            (p.pk, p.name) for p in self.candidates.values()
        ]

    def chosen(self) -> list[Participant]:
        return [self.candidates[pk] for pk in self.cleaned_data["participants"]]

    def selected(self) -> set[int]:
        """The ticked boxes: as submitted, or as recorded."""
        if isinstance(self.data, QueryDict):
            values = self.data.getlist(self.add_prefix("participants"))
        else:
            values = self.initial.get("participants", [])
        return {int(v) for v in values if str(v).isdigit()}


class BottomLineCheckForm(forms.Form):
    """What the mandated professional who set a bottom line says of the plan."""

    met = forms.ChoiceField(
        label=_("Does the plan meet this bottom line?"),
        choices=[("yes", _("yes, the plan meets it")), ("no", _("no, it does not"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why not"),
        help_text=_("Needed when the plan does not meet the bottom line."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )

    def __init__(self, *args: Any, set_by: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["met"].label = gettext(
            "According to %(set_by)s: does the plan meet this bottom line?"
        ) % {"set_by": set_by}

    @classmethod
    def initial_for(cls, check: BottomLineCheck | None) -> dict[str, str]:
        if check is None:
            return {}
        return {"met": "yes" if check.met else "no", "reason": check.reason}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("met") == "no" and not data.get("reason"):
            self.add_error("reason", _("Say why the plan does not meet this bottom line."))
        return data

    @property
    def is_met(self) -> bool:
        return bool(self.cleaned_data["met"] == "yes")


class OutcomeForm(forms.Form):
    """The plan was not accepted, or there is no plan: the case closes."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Plan.Outcome.NOT_ACCEPTED.value, Plan.Outcome.NOT_ACCEPTED.label),
            (Plan.Outcome.NO_PLAN.value, Plan.Outcome.NO_PLAN.label),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why there is no accepted plan"),
        max_length=500,
        help_text=_("Only the reason: nothing of what was said in the private time."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


class AftercareForm(forms.Form):
    """The aftercare call about four weeks after the meeting."""

    on = forms.DateField(
        label=capfirst(AftercareCall._meta.get_field("on").verbose_name),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Required, but the service says so (a refusal the user can correct, as for a date in
    # the future): the template marks it as required.
    how_it_goes = forms.CharField(
        label=capfirst(AftercareCall._meta.get_field("how_it_goes").verbose_name),
        help_text=_("About the plan: what works and what does not. Nothing else about people."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000, "aria-required": "true"}),
    )

    early_reason = forms.CharField(
        label=_("Why the call is recorded early"),
        help_text=_(
            "Needed only when the call comes sooner than the minimum time after the meeting."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )

    @classmethod
    def blank(cls) -> AftercareForm:
        return cls(initial={"on": timezone.localdate()}, auto_id="aftercare_%s")
