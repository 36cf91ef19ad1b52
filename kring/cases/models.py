"""The case: one request for an Eigen Kracht-conferentie, from request to follow-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kring.accounts.models import LANGUAGE_CHOICES, Gender, Municipality, Organisation, Region, User
from kring.core.choices import ChoiceLabels


class Status(models.TextChoices):
    REQUESTED = "requested", _("request")
    INTAKE = "intake", _("intake")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    COORDINATOR_ASSIGNED = "coordinator_assigned", _("coordinator asked")
    PREPARATION = "preparation", _("preparation")
    SCHEDULED = "scheduled", _("scheduled")
    HELD = "held", _("conference held")
    PLAN_WITHOUT_MEETING = "plan_without_meeting", _("plan without a meeting")
    PLAN_DISTRIBUTED = "plan_distributed", _("plan distributed")
    AFTERCARE = "aftercare", _("aftercare")
    FOLLOW_UP = "follow_up", _("follow-up")
    STOPPED = "stopped", _("stopped in preparation")
    CLOSED = "closed", _("closed")


# A case in one of these has ended: nothing more is sent, links stop working.
FINAL_STATUSES = frozenset({Status.DECLINED, Status.WITHDRAWN, Status.STOPPED, Status.CLOSED})
# Once a case reaches one of these, the coordinator's role — and their access — ends.
COORDINATION_ENDED = FINAL_STATUSES | {Status.FOLLOW_UP}


class Variant(models.TextChoices):
    NEIGHBOURHOOD = "buurt", _("group, neighbourhood or street")
    SCHOOL = "school", _("school and learning")
    FAMILY = "familie", _("family")
    RESTORATION = "herstel", _("restoration after an incident")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    SOON = "soon", _("soon")
    URGENT = "urgent", _("urgent")


class RequesterRelation(models.TextChoices):
    INVOLVED = "involved", _("directly involved")
    OUTSIDER = "outsider", _("outsider")
    PROFESSIONAL = "professional", _("professional")


class Channel(models.TextChoices):
    """How a request reached Kring."""

    ONLINE = "online", _("the request form")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    IN_PERSON = "in_person", _("in person")


class ReferenceCounter(models.Model):
    """The last case number handed out in a year: references run EK-2026-00001, -00002, …"""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"

    @classmethod
    def reserve(cls, year: int, count: int = 1) -> range:
        """Reserve ``count`` consecutive numbers for ``year`` and return them."""
        with transaction.atomic():
            try:
                with transaction.atomic():
                    cls.objects.get_or_create(year=year)
            except IntegrityError:  # another request created the row at the same moment
                pass
            cls.objects.filter(year=year).update(last=F("last") + count)
            last = cls.objects.values_list("last", flat=True).get(year=year)
        return range(last - count + 1, last + 1)


def format_reference(year: int, number: int) -> str:
    return f"EK-{year}-{number:05d}"


class Case(ChoiceLabels):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.REQUESTED,
        editable=False,
    )
    # Raised by every status change: a second change based on a stale copy is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    variant = models.CharField(
        _("variant"), max_length=10, choices=Variant.choices, default=Variant.NEIGHBOURHOOD
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("region"),
        help_text=_("Empty: the request is in the national inbox."),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("municipality"),
    )
    place = models.CharField(
        _("place"),
        max_length=200,
        help_text=_("The group, street, school or organisation the conference is for."),
    )
    postcode = models.CharField(_("postcode"), max_length=7, blank=True)
    address = models.CharField(_("house number or street"), max_length=120, blank=True)
    municipality_name = models.CharField(
        _("municipality as given"),
        max_length=80,
        blank=True,
        help_text=_("What the requester wrote, when it is not a known municipality."),
    )
    description = models.TextField(_("what is going on"), max_length=4000)
    involved = models.TextField(_("who is involved, roughly"), max_length=2000, blank=True)
    coordinator_language = models.CharField(
        _("language wished for the coordinator"),
        max_length=5,
        choices=LANGUAGE_CHOICES,
        blank=True,
    )
    coordinator_gender = models.CharField(
        _("gender wished for the coordinator"),
        max_length=10,
        choices=Gender.choices,
        blank=True,
        default=Gender.UNSPECIFIED,
    )

    requester_name = models.CharField(_("requester's name"), max_length=120)
    requester_email = models.EmailField(_("requester's email"), blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=30, blank=True)
    requester_relation = models.CharField(
        _("relation to the matter"),
        max_length=12,
        choices=RequesterRelation.choices,
        default=RequesterRelation.INVOLVED,
    )
    requester_organisation = models.CharField(
        _("requester's organisation"), max_length=120, blank=True
    )

    requester_language = models.CharField(
        _("requester's language"), max_length=5, choices=settings.LANGUAGES, default="nl"
    )
    consent_at = models.DateTimeField(_("consent to processing given"), null=True, blank=True)
    channel = models.CharField(
        _("received through"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("last step"), default=timezone.now)

    intake_on = models.DateField(_("date of the intake conversation"), null=True, blank=True)
    intake_notes = models.TextField(
        _("notes of the intake conversation"), max_length=4000, blank=True
    )
    # A follow-up conference keeps the case it grew from.
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_on_cases",
        verbose_name=_("follows on from"),
        editable=False,
    )

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["region", "status"]),
            # Per status by the last change; with the region, the norms' count of cases waiting
            # for a coordinator is read from the index alone.
            models.Index(
                fields=["status", "status_changed_at", "region"], name="case_status_changed"
            ),
            models.Index(fields=["-requested_at"]),
            # The case list: newest first, paged by seeking (requested_at, id), per region or
            # status or across them (issue 18).
            models.Index(fields=["-requested_at", "-id", "region"], name="case_list_seek"),
            models.Index(fields=["region", "-requested_at", "-id"], name="case_region_seek"),
            models.Index(fields=["status", "-requested_at", "-id"], name="case_status_seek"),
            # The time norms (kring.cases.norms): each kind of wait in the order it began, and
            # the late ones counted from the index alone, the scope filtered in it.
            models.Index(
                fields=["status", "requested_at", "id", "intake_on", "region", "status_changed_at"],
                name="case_norms",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            year = timezone.localdate(self.requested_at).year
            (number,) = ReferenceCounter.reserve(year)
            self.reference = format_reference(year, number)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("case_detail", args=[self.reference])

    def days_open(self, now: dt.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.requested_at).days

    def days_in_status(self, now: dt.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.status_changed_at).days

    @property
    def is_finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def log(
        self,
        action: CaseAction,
        *,
        user: User | None,
        reason: str = "",
        data: dict[str, Any] | None = None,
        from_status: str = "",
        to_status: str = "",
    ) -> CaseEvent:
        """Record one history entry on this case: ``action`` is a ``CaseAction`` (so every
        entry has words for it in both languages), never a bare code."""
        if not isinstance(action, CaseAction):
            raise TypeError(f"Case.log takes a CaseAction, not {action!r}")
        return CaseEvent.objects.create(
            case=self,
            actor=user,
            action=action,
            reason=reason,
            data=data or {},
            from_status=from_status,
            to_status=to_status,
        )


class ConferenceQuestion(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="questions", verbose_name=_("case")
    )
    text = models.CharField(_("conference question"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["case", "position", "pk"]
        verbose_name = _("conference question")
        verbose_name_plural = _("conference questions")

    def __str__(self) -> str:
        return self.text


class Assignment(models.Model):
    """A coordinator asked for, working on, or done with a case."""

    class State(models.TextChoices):
        OFFERED = "offered", _("asked")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", pgettext_lazy("coordinator assignment", "declined")
        ENDED = "ended", _("ended")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("case")
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("coordinator"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OFFERED
    )
    offered_at = models.DateTimeField(_("asked"), default=timezone.now)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    declaration = models.TextField(
        _("independence declaration"),
        blank=True,
        help_text=_("The text the coordinator signed, as they saw it."),
    )
    decline_reason = models.TextField(_("reason for declining"), max_length=2000, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["offered_at"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["coordinator", "state"]),
            # A coordinator's scope (kring.cases.access): their active cases from the index
            # alone; the unique constraint's index starts with the case.
            models.Index(
                fields=["coordinator", "case"],
                condition=models.Q(state__in=["offered", "accepted"]),
                name="active_assignment_of",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "coordinator"],
                condition=models.Q(state__in=["offered", "accepted"]),
                name="one_active_assignment_per_coordinator",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coordinator} – {self.case}"


# The states in which a coordinator is asked for or working on a case.
ACTIVE_ASSIGNMENT_STATES = [Assignment.State.OFFERED, Assignment.State.ACCEPTED]


class CaseAction(models.TextChoices):
    """Every kind of entry in a case's history, with what a person reads for it.

    ``case.log()`` takes only a member (a bare string is refused); tests/site/test_case_actions.py
    fails for a member without a label in both languages, and for a history entry written
    directly (the demo data) under a code that is not a member."""

    CASE_REQUESTED = "case.requested", _("Request received")
    CASE_MOVED = "case.moved", _("Moved to another inbox")
    CASE_SUBMITTED_BY_API = "case.submitted_by_api", _("Submitted by a partner through the API")
    STATUS_CHANGED = "status.changed", _("Step changed")
    INTAKE_SAVED = "intake.saved", _("Intake saved")
    BOTTOM_LINE_ADDED = "bottom_line.added", _("Bottom line added")
    BOTTOM_LINE_REMOVED = "bottom_line.removed", _("Bottom line removed")
    FUNDING_ADDED = "funding.added", _("Funding added")
    FUNDING_CHANGED = "funding.changed", _("Funding changed")
    ASSIGNMENT_OFFERED = "assignment.offered", _("Coordinator asked")
    ASSIGNMENT_ACCEPTED = "assignment.accepted", _("Coordinator accepted")
    ASSIGNMENT_DECLINED = "assignment.declined", _("Coordinator declined")
    CONFLICT_DECLARED = "conflict.declared", _("Conflict of interest recorded")
    CASE_ANONYMISED = "case.anonymised", _("Case anonymised after its retention period")
    PARTICIPANT_ADDED = "participant.added", _("Added to the circle")
    PARTICIPANT_CHANGED = "participant.changed", _("Details in the circle changed")
    PARTICIPANT_INFORMED = "participant.informed", _("Participant informed")
    PARTICIPANT_WILLINGNESS = "participant.willingness", _("Answer about taking part recorded")
    PARTICIPANT_LINK_SENT = "participant.link_sent", _("Personal link sent")
    PARTICIPANT_INFORMATION_LETTER = (
        "participant.information_letter",
        _("Information letter made"),
    )
    PARTICIPANT_LINKS_REVOKED = "participant.links_revoked", _("Personal links revoked")
    PARTICIPANT_REMOVED = "participant.removed", _("Removed from the circle (added by mistake)")
    PARTICIPANT_MERGED = "participant.merged", _("Two entries of the same person merged")
    AFTERCARE_EARLY = "aftercare.early", _("Aftercare call recorded early, with a reason")
    PLAN_LETTER_POSTED = "plan.letter_posted", _("Letter with the plan recorded as posted")
    PARTICIPANT_LINK_REQUESTED = (
        "participant.link_requested",
        _("New personal link asked for on the link page"),
    )
    INFORMATION_NEED_ADDED = "information_need.added", _("Information need added")
    INFORMATION_NEED_REMOVED = "information_need.removed", _("Information need removed")
    DATE_PROPOSED = "date.proposed", _("Date proposed")
    DATE_WITHDRAWN = "date.withdrawn", _("Date withdrawn")
    MEETING_SCHEDULED = "meeting.scheduled", _("Meeting scheduled")
    MEETING_VENUE = "meeting.venue", _("Place and food saved")
    MEETING_INVITATIONS = "meeting.invitations", _("Invitations sent")
    MEETING_UPDATES = "meeting.updates", _("Updates of the date or place sent")
    MEETING_ATTENDANCE = "meeting.attendance", _("Who was at the conference recorded")
    REQUESTER_ACCEPTED = "requester.accepted", _("Requester told: request accepted")
    REQUESTER_COORDINATOR_FOUND = (
        "requester.coordinator_found",
        _("Requester told: coordinator found"),
    )
    REQUESTER_CONFERENCE_SET = (
        "requester.conference_set",
        _("Requester told: conference date set"),
    )
    COST_ADDED = "cost.added", _("Cost added")
    COST_REMOVED = "cost.removed", _("Cost removed")
    PLAN_CHANGED = "plan.changed", _("Plan changed")
    PLAN_AGREEMENT_ADDED = "plan.agreement.added", _("Agreement added to the plan")
    PLAN_AGREEMENT_CHANGED = "plan.agreement.changed", _("Agreement in the plan changed")
    PLAN_AGREEMENT_REMOVED = "plan.agreement.removed", _("Agreement removed from the plan")
    PLAN_AGREEMENT_MOVED = "plan.agreement.moved", _("Agreement moved in the plan")
    PLAN_REQUEST_ADDED = "plan.request.added", _("Request to an organisation added to the plan")
    PLAN_REQUEST_CHANGED = (
        "plan.request.changed",
        _("Request to an organisation in the plan changed"),
    )
    PLAN_REQUEST_REMOVED = (
        "plan.request.removed",
        _("Request to an organisation removed from the plan"),
    )
    PLAN_REQUEST_MOVED = "plan.request.moved", _("Request to an organisation moved in the plan")
    PLAN_EVALUATION_ADDED = "plan.evaluation.added", _("Evaluation moment added to the plan")
    PLAN_EVALUATION_CHANGED = (
        "plan.evaluation.changed",
        _("Evaluation moment in the plan changed"),
    )
    PLAN_EVALUATION_REMOVED = (
        "plan.evaluation.removed",
        _("Evaluation moment removed from the plan"),
    )
    PLAN_EVALUATION_MOVED = "plan.evaluation.moved", _("Evaluation moment moved in the plan")
    PLAN_ENDORSEMENTS = "plan.endorsements", _("Who agrees with the plan recorded")
    PLAN_ENDORSED_ON_OWN_PAGE = (
        "plan.endorsed_on_own_page",
        _("Agreement with the plan given on the own page"),
    )
    PLAN_BOTTOM_LINE = "plan.bottom_line", _("Whether the plan meets a bottom line recorded")
    PLAN_FINALISED = "plan.finalised", _("Plan finalised")
    PLAN_DISTRIBUTED = "plan.distributed", _("Plan sent to the circle")
    PLAN_RESENT = "plan.resent", _("Plan sent again")
    PLAN_LETTER = "plan.letter", _("Plan letter made")
    PLAN_RECIPIENT_ADDED = "plan.recipient_added", _("Recipient of the plan added")
    PERSON_EXPORTED = "person.exported", _("Data of a person exported")
    PERSON_ERASURE_REQUESTED = "person.erasure_requested", _("Erasure of a person's data requested")
    PERSON_ERASED = "person.erased", _("Data of a person erased")
    CASE_FOLLOW_ON = "case.follow_on", _("Follow-on conference linked")
    FOLLOW_UP_OPENED = "follow_up.opened", _("Follow-up opened")
    FOLLOW_UP_ADDED = "follow_up.added", _("Follow-up moment added")
    FOLLOW_UP_ANSWERED = "follow_up.answered", _("Follow-up answered")
    FOLLOW_UP_LETTER = "follow_up.letter", _("Follow-up letter printed")


# Kept for callers that look a label up by code.
ACTION_LABELS = dict(CaseAction.choices)


class CaseEvent(models.Model):
    """One entry in a case's history: who did what, when, and why."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=60)
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        # "When did this case first reach this status": the dashboard's steps and funnel.
        indexes = [models.Index(fields=["case", "to_status", "at"], name="caseevent_reached")]

    def __str__(self) -> str:
        return f"{self.case} {self.action}"

    @property
    def label(self) -> str:
        """What happened, in words (status changes show from → to in the template)."""
        if self.action in CaseAction.values:
            return str(CaseAction(self.action).label)
        # An entry written by an older version under a code since retired: say so in words.
        return str(_("Other change"))


class BottomLine(models.Model):
    """A voorwaarde: a condition the plan must meet, set by a professional with a mandate
    (for example youth protection or the housing corporation)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="bottom_lines", verbose_name=_("case")
    )
    text = models.TextField(_("bottom line"), max_length=1000)
    set_by = models.CharField(
        _("set by"), max_length=120, help_text=_("Name and role of the professional.")
    )
    mandate = models.CharField(
        _("mandate"),
        max_length=200,
        help_text=_("On what authority, for example a court order or a tenancy agreement."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        verbose_name = _("bottom line")
        verbose_name_plural = _("bottom lines")

    def __str__(self) -> str:
        return self.text[:60]


class Funding(models.Model):
    """Who pays for a conference, how much, and whether they have said yes."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="fundings", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="fundings",
        verbose_name=_("financier"),
    )
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    amount = models.DecimalField(
        _("amount (euro)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    reference = models.CharField(_("reference or order number"), max_length=60, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_on = models.DateField(_("date of the decision"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["case", "pk"]
        verbose_name = _("funding")
        verbose_name_plural = _("funding")

    def __str__(self) -> str:
        return f"{self.organisation} – {self.case}"


class ConflictOfInterest(models.Model):
    """A coordinator who must not take this case, and why."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("case")
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("coordinator"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["case", "coordinator"], name="one_conflict_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.coordinator} – {self.case}"


class StatusCount(models.Model):
    """How many cases an area has in a status, as changes to add up: database triggers on
    ``cases_case`` (migration 0006) insert +1 and -1 rows for every case made, moved between
    statuses or regions, or deleted, whichever way it is written (the lifecycle, a bulk seed,
    an anonymisation, a raw UPDATE); :func:`kring.cases.tally.compact` folds them into one row
    per area and status. Inserting only, the triggers take no lock another request waits for.
    Numbers only: no personal data (see :mod:`kring.cases.tally`)."""

    area = models.BigIntegerField(_("area"))  # the region's id; 0 for the national inbox
    status = models.CharField(_("status"), max_length=24)
    n = models.IntegerField(_("change in the number of cases"))

    class Meta:
        verbose_name = _("case count")
        verbose_name_plural = _("case counts")
        indexes = [models.Index(fields=["area", "status"], name="status_count_area")]

    def __str__(self) -> str:
        return f"{self.area} {self.status} {self.n:+d}"
