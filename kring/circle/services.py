"""Building the circle: adding people, reaching them, informing them, and recording whether
they take part. A "no" is final unless the participant changes it on their own page: staff
cannot turn it around, and nothing more is sent to them.

Each change checks the participant's version (two people editing at once cannot overwrite each
other) and leaves a history entry on the case without personal data in it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, CaseAction
from kring.circle import links
from kring.circle.models import (
    ContactMoment,
    InformationNeed,
    Participant,
    PersonalLink,
    Willingness,
)

# Editable fields of a participant, as staff see them.
DETAIL_FIELDS = [
    "name",
    "email",
    "phone",
    "postal_address",
    "language",
    "category",
    "organisation",
    "suggested_by",
    "interpreter",
    "accessibility",
    "childcare",
    "transport",
    "diet",
    "diet_note",
]
NEED_FIELDS = ["interpreter", "accessibility", "childcare", "transport", "diet", "diet_note"]

STALE = _("Someone else changed this person in the meantime. Look again and retry.")


def circle_open(case: Case) -> None:
    if case.is_finished:
        raise CaseError(_("This case is finished: its circle can no longer be changed."))


def _claim(participant: Participant, version: int | None) -> None:
    """Raise the participant's version, or refuse if the edit is based on a stale copy."""
    expected = participant.version if version is None else version
    updated = Participant.objects.filter(pk=participant.pk, version=expected).update(
        version=F("version") + 1
    )
    if updated != 1:
        raise CaseError(STALE)
    participant.version = expected + 1


def add_participant(case: Case, data: dict[str, Any], *, user: User | None) -> Participant:
    circle_open(case)
    with transaction.atomic():
        participant = Participant.objects.create(case=case, **data)
        case.log(
            CaseAction.PARTICIPANT_ADDED,
            user=user,
            data={"participant": participant.pk, "category": participant.category},
        )
    return participant


def update_participant(
    participant: Participant, data: dict[str, Any], *, user: User | None, version: int
) -> Participant:
    circle_open(participant.case)
    with transaction.atomic():
        _claim(participant, version)
        Participant.objects.filter(pk=participant.pk).update(**data)
        for name, value in data.items():
            setattr(participant, name, value)
        participant.case.log(
            CaseAction.PARTICIPANT_CHANGED,
            user=user,
            data={"participant": participant.pk, "fields": sorted(data)},
        )
    return participant


def choose_language(participant: Participant, language: str) -> Participant:
    """The participant chose the language of their page and of what Kring sends them, on
    their own page. Always possible, also after the case ended: it changes nothing else. The
    version goes up, so that a coordinator's form opened before does not undo the choice."""
    with transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(
            language=language, version=F("version") + 1
        )
        participant.language = language
        participant.version += 1
        participant.case.log(
            CaseAction.PARTICIPANT_CHANGED,
            user=None,
            data={"participant": participant.pk, "fields": ["language"]},
        )
    return participant


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0031"):
        digits = "0" + digits[4:]
    elif digits.startswith("31") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def duplicates(participants: Iterable[Participant]) -> dict[int, list[Participant]]:
    """Possible duplicates within a circle: the same email address or phone number."""
    by_key: dict[str, list[Participant]] = defaultdict(list)
    for participant in participants:
        if participant.email:
            by_key["e:" + participant.email.strip().casefold()].append(participant)
        phone = normalise_phone(participant.phone)
        if len(phone) >= 8:
            by_key["p:" + phone].append(participant)
    found: dict[int, list[Participant]] = defaultdict(list)
    for group in by_key.values():
        if len(group) > 1:
            for participant in group:
                for other in group:
                    if other.pk != participant.pk and other not in found[participant.pk]:
                        found[participant.pk].append(other)
    return dict(found)


def record_contact(
    participant: Participant,
    *,
    on: Any,
    channel: str,
    outcome: str,
    note: str,
    user: User,
) -> ContactMoment:
    circle_open(participant.case)
    return ContactMoment.objects.create(
        participant=participant, on=on, channel=channel, outcome=outcome, note=note, by=user
    )


def mark_informed(participant: Participant, *, user: User, version: int) -> Participant:
    """Record that the participant was told the goal, the method, their responsibilities and
    possibilities (the standard information text, in their language)."""
    circle_open(participant.case)
    now = timezone.now()
    with transaction.atomic():
        _claim(participant, version)
        Participant.objects.filter(pk=participant.pk).update(informed_at=now, informed_by=user)
        participant.informed_at, participant.informed_by = now, user
        participant.case.log(
            CaseAction.PARTICIPANT_INFORMED, user=user, data={"participant": participant.pk}
        )
    return participant


def set_willingness(
    participant: Participant,
    value: str,
    *,
    user: User | None,
    version: int | None = None,
    used_link: PersonalLink | None = None,
) -> Participant:
    """Record whether someone takes part. ``user`` None: the participant on their own page,
    through ``used_link``.

    Staff may record an answer given to them, but never change a "no": that is final unless
    the participant changes it themselves. A new "no" stops the person's personal links but
    one — the link they used, or the newest — so that they can still change their mind on
    their own page (see ``kring.circle.links``).
    """
    if value not in Willingness.values:
        raise CaseError(_("Choose one of the answers."))
    circle_open(participant.case)
    if user is not None and participant.willingness == Willingness.NO and value != Willingness.NO:
        raise CaseError(
            _(
                "%(name)s said no. A no is final: only they can change it, on their own "
                "page. Nobody sends them reminders or invitations."
            )
            % {"name": participant.name}
        )
    now = timezone.now()
    newly_no = value == Willingness.NO and participant.willingness != Willingness.NO
    with transaction.atomic():
        _claim(participant, version)
        Participant.objects.filter(pk=participant.pk).update(
            willingness=value, willingness_at=now, willingness_by_self=user is None
        )
        participant.willingness, participant.willingness_at = value, now
        participant.willingness_by_self = user is None
        data: dict[str, Any] = {
            "participant": participant.pk,
            "willingness": value,
            "self": user is None,
        }
        if newly_no:
            data["links_revoked"] = links.revoke_on_no(participant, keep=used_link)
        participant.case.log(CaseAction.PARTICIPANT_WILLINGNESS, user=user, data=data)
    return participant


def save_needs(
    participant: Participant, data: dict[str, Any], *, user: User | None, version: int | None
) -> Participant:
    return update_participant(
        participant,
        {name: data[name] for name in NEED_FIELDS if name in data},
        user=user,
        version=participant.version if version is None else version,
    )


def save_written_view(
    participant: Participant, text: str, *, user: User | None, version: int | None = None
) -> Participant:
    return update_participant(
        participant,
        {"written_view": text.strip()},
        user=user,
        version=participant.version if version is None else version,
    )


def suggest(by: Participant, data: dict[str, Any]) -> Participant:
    """A participant suggests someone else to invite, on their own page."""
    return add_participant(by.case, {**data, "suggested_by": by}, user=None)


def add_information_need(
    case: Case, *, question: str, answered_by: Participant | None, in_writing: bool, user: User
) -> InformationNeed:
    circle_open(case)
    if answered_by is not None and answered_by.case_id != case.pk:
        raise CaseError(_("Choose someone from this circle."))
    need = InformationNeed.objects.create(
        case=case, question=question, answered_by=answered_by, in_writing=in_writing
    )
    case.log(CaseAction.INFORMATION_NEED_ADDED, user=user, data={"need": need.pk})
    return need


def remove_information_need(need: InformationNeed, *, user: User) -> None:
    case = need.case
    if case.is_finished:
        raise CaseError(_("This case is finished."))
    with transaction.atomic():
        pk = need.pk
        need.delete()
        case.log(CaseAction.INFORMATION_NEED_REMOVED, user=user, data={"need": pk})


def send_personal_link(participant: Participant, *, user: User) -> None:
    """Email a new personal link (earlier links keep working), with its history entry."""
    from kring.cases import emails

    if participant.declined:
        raise CaseError(
            _("%(name)s said no. Nothing is sent to them unless they change it themselves.")
            % {"name": participant.name}
        )
    if not participant.email:
        raise CaseError(
            _("There is no email address. The personal link is printed on the invitation letter.")
        )
    with transaction.atomic():
        token = links.issue(participant)
        emails.personal_link(participant, links.url(token))
        participant.case.log(
            CaseAction.PARTICIPANT_LINK_SENT, user=user, data={"participant": participant.pk}
        )


def information_letter(participant: Participant, *, user: User) -> bytes:
    """The information letter for ``participant`` (PDF), with a new personal link and its
    short code; earlier links keep working. Making the letter is recorded in the history;
    posting it is the coordinator's own act."""
    from kring.circle.letters import information_letter_pdf  # WeasyPrint, only when printing

    if participant.declined:
        raise CaseError(
            _("%(name)s said no. Nothing is sent to them.") % {"name": participant.name}
        )
    if participant.case.is_finished:
        raise CaseError(_("This case is finished."))
    with transaction.atomic():
        token, code = links.issue_for_letter(participant)
        participant.case.log(
            CaseAction.PARTICIPANT_INFORMATION_LETTER,
            user=user,
            data={"participant": participant.pk},
        )
    return information_letter_pdf(participant, portal_url=links.url(token), portal_code=code)


# --- Removing and merging ----------------------------------------------------------------------

MERGE_FILL = ["email", "phone", "postal_address", "organisation"]


def removal_refusal(participant: Participant) -> Promise | None:
    """Why ``participant`` cannot be removed from the circle (None: they can). Someone added
    by mistake can be removed while nothing was sent to them and nothing of the meeting or
    the plan names them; after that, a duplicate is merged instead."""
    # The later phases' records are read through their relations to the participant (the
    # circle does not import the phases built on it).
    if participant.case.is_finished:
        return _("This case is finished: its circle can no longer be changed.")
    sent = (
        participant.messages.exists()
        or PersonalLink.objects.filter(participant=participant).exists()
        or participant.invitations.exists()
        or participant.plan_deliveries.exists()
    )
    if sent:
        return _(
            "Something was already sent to this person, so they stay in the history. If they "
            "are the same as someone else in the circle, merge them instead."
        )
    named = (
        participant.attendance.exists()
        or participant.endorsements.exists()
        or participant.agreements.exists()
        or participant.monitored_plans.exists()
    )
    if named:
        return _(
            "The meeting or the plan names this person. If they are the same as someone else "
            "in the circle, merge them instead."
        )
    return None


def remove_participant(participant: Participant, *, user: User, reason: str) -> None:
    """Remove someone added to the circle by mistake; the history keeps that it happened (not
    who: no personal data in the history)."""
    refusal = removal_refusal(participant)
    if refusal is not None:
        raise CaseError(refusal)
    case = participant.case
    with transaction.atomic():
        pk = participant.pk
        participant.delete()
        case.log(CaseAction.PARTICIPANT_REMOVED, user=user, reason=reason, data={"participant": pk})


def merge_participants(keep: Participant, duplicate: Participant, *, user: User) -> Participant:
    """``duplicate`` is the same person as ``keep``: everything recorded of or sent to the
    duplicate moves to ``keep`` (where ``keep`` already has the same — an answer for the same
    date, say — ``keep``'s stays), ``keep``'s empty contact details are filled from the
    duplicate's, and the duplicate is removed. The history records the merge."""
    if keep.case_id != duplicate.case_id or keep.pk == duplicate.pk:
        raise CaseError(_("Choose another person from this case's circle."))
    circle_open(keep.case)
    with transaction.atomic():
        for relation in Participant._meta.related_objects:
            model = relation.related_model
            name = relation.field.name
            if relation.many_to_many:
                for owner in model.objects.filter(**{name: duplicate}):  # type: ignore[attr-defined]
                    getattr(owner, name).add(keep)
                    getattr(owner, name).remove(duplicate)
                continue
            if model is Participant:  # people the duplicate suggested
                Participant.objects.filter(suggested_by=duplicate).exclude(pk=keep.pk).update(
                    suggested_by=keep
                )
                continue
            for row in model.objects.filter(**{name: duplicate}):  # type: ignore[attr-defined]
                try:
                    with transaction.atomic():
                        model.objects.filter(pk=row.pk).update(**{name: keep})  # type: ignore[attr-defined]
                except IntegrityError:
                    row.delete()  # keep already has this one
        filled = {}
        for field in MERGE_FILL:
            if not getattr(keep, field) and getattr(duplicate, field):
                filled[field] = getattr(duplicate, field)
        _claim(keep, None)
        if filled:
            Participant.objects.filter(pk=keep.pk).update(**filled)
            for field, value in filled.items():
                setattr(keep, field, value)
        merged = duplicate.pk
        duplicate.delete()
        keep.case.log(
            CaseAction.PARTICIPANT_MERGED,
            user=user,
            data={"participant": keep.pk, "merged": merged, "fields": sorted(filled)},
        )
    return keep
