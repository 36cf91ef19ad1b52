"""The access log in words: roles, what was looked at and whose data, the way a manager says it.

The log stores codes (``regional_manager``, ``case``, ``requester`` and an id); the page for a
case's manager shows translated labels and the people by name, never ``#id``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kring.accounts.models import Role
from kring.audit.models import AccessLog
from kring.cases.models import BottomLine, Case, Funding
from kring.circle.models import Participant
from kring.messaging.models import OutboxMessage

ROLE_LABELS: dict[str, Promise] = {
    **{role.value: role.label for role in Role},
    "participant": _("participant"),
    "anonymous": pgettext_lazy("access log role", "not signed in"),
    "api": pgettext_lazy("access log role", "partner system"),
}

# What was looked at: one phrase per object type of the log.
OBJECT_LABELS: dict[str, Promise] = {
    "case": _("the case"),
    "intake": _("the intake"),
    "conference": _("the conference page"),
    "aftercare": _("the aftercare page"),
    "plan": _("the plan"),
    "plan_distribution": _("who has the plan"),
    "plan_letter": _("the plan letter"),
    "follow_on": _("the follow-on conference"),
    "date_poll": _("the date poll"),
    "meeting": _("the meeting"),
    "meeting_calendar": _("the calendar file of the meeting"),
    "letter": _("an invitation letter"),
    "export_json": _("a data export (JSON)"),
    "export_pdf": _("a data export (PDF)"),
    "message": _("an email in the mailbox"),
    "attachment": _("an attachment of an email"),
    "dataset": _("a research data set"),
    "financier_report": _("a financier report"),
    "dashboard": _("the figures"),
    "case_phase": _("the phase of the case"),
    "account": _("an account"),
}

# Whose data, when the person cannot be found any more (erased, removed).
PERSON_KIND_LABELS: dict[str, Promise] = {
    "requester": _("the requester"),
    "participant": _("a participant"),
    "bottom_line_setter": _("a professional who set a bottom line"),
    "funding_contact": _("a contact person of a financier"),
    "recipient": _("the recipient of an email"),
    "staff": _("a member of staff"),
}


OUTCOME_LABELS: dict[str, Promise] = {
    "ok": pgettext_lazy("access log outcome", "shown"),
    "denied": pgettext_lazy("access log outcome", "refused"),
    "failed": pgettext_lazy("access log outcome", "failed"),
}


def role_label(codes: str) -> str:
    """``regional_manager,coordinator`` → "regional manager, coordinator"."""
    labels = [
        str(ROLE_LABELS.get(code, pgettext_lazy("access log role", "other")))
        for code in codes.split(",")
        if code
    ]
    return ", ".join(labels)


def object_label(code: str) -> str:
    if not code:
        return ""
    return str(OBJECT_LABELS.get(code, _("another page")))


@dataclass(frozen=True)
class Row:
    entry: AccessLog
    who: str
    role: str
    what: str
    whose: str
    outcome: str


def _names(case: Case, entries: list[AccessLog]) -> dict[tuple[str, str], str]:
    """Names of the people in ``entries`` that the case's manager may see."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        if entry.person_id.isdigit():
            ids.setdefault(entry.person_type, set()).add(int(entry.person_id))
    names: dict[tuple[str, str], str] = {}
    if case.pk in ids.get("requester", set()) and case.requester_name:
        names["requester", str(case.pk)] = case.requester_name
    for pk, name in Participant.objects.filter(
        case=case, pk__in=ids.get("participant", set())
    ).values_list("pk", "name"):
        names["participant", str(pk)] = name
    for pk, set_by in BottomLine.objects.filter(
        case=case, pk__in=ids.get("bottom_line_setter", set())
    ).values_list("pk", "set_by"):
        names["bottom_line_setter", str(pk)] = set_by
    for pk, person in Funding.objects.filter(
        case=case, pk__in=ids.get("funding_contact", set())
    ).values_list("pk", "contact_person"):
        if person:
            names["funding_contact", str(pk)] = person
    for pk, participant in OutboxMessage.objects.filter(
        case=case, pk__in=ids.get("recipient", set()), participant__isnull=False
    ).values_list("pk", "participant__name"):
        names["recipient", str(pk)] = participant
    return names


def rows(case: Case, entries: Iterable[AccessLog]) -> list[Row]:
    entries = list(entries)
    names = _names(case, entries)
    result = []
    for entry in entries:
        if entry.user is not None:
            who = entry.user.full_name
        elif "participant" in entry.role.split(","):
            who = str(_("the participant, on their own page"))
        else:
            who = "—"
        what = " · ".join(
            part for part in (entry.get_action_display(), object_label(entry.object_type)) if part
        )
        if entry.person_type:
            whose = names.get(
                (entry.person_type, entry.person_id),
                str(PERSON_KIND_LABELS.get(entry.person_type, _("a person"))),
            )
        else:
            whose = "—"
        outcome = str(OUTCOME_LABELS.get(entry.outcome, entry.outcome))
        result.append(Row(entry, who, role_label(entry.role), what, whose, outcome))
    return result
