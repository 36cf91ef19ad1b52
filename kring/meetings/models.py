"""The meeting of a case: finding a date, the venue, food and drink, costs, and the invitations
sent to everyone who takes part."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, Funding
from kring.circle.models import Participant


class DateOption(models.Model):
    """A date and time the coordinator proposes for the meeting."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="date_options", verbose_name=_("case")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["case", "starts_at", "pk"]
        verbose_name = _("proposed date")
        verbose_name_plural = _("proposed dates")
        constraints = [
            models.UniqueConstraint(fields=["case", "starts_at"], name="one_option_per_start"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="option_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.starts_at:%Y-%m-%d %H:%M}"


class DateAnswer(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", _("yes")
        MAYBE = "maybe", _("if need be")
        NO = "no", _("no")

    option = models.ForeignKey(
        DateOption, on_delete=models.CASCADE, related_name="answers", verbose_name=_("date")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="date_answers",
        verbose_name=_("participant"),
    )
    answer = models.CharField(_("answer"), max_length=5, choices=Answer.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the participant answered on their own page."),
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("date answer")
        verbose_name_plural = _("date answers")
        constraints = [
            models.UniqueConstraint(fields=["option", "participant"], name="one_answer_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.answer}"


class Meeting(models.Model):
    """The conference itself: when and where, food and drink."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="meeting", verbose_name=_("case")
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    venue_name = models.CharField(_("venue"), max_length=120, blank=True)
    venue_address = models.CharField(_("address of the venue"), max_length=200, blank=True)
    venue_accessibility = models.CharField(
        _("accessibility of the venue"), max_length=200, blank=True
    )
    venue_capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)
    catering = models.CharField(_("food and drink"), max_length=300, blank=True)
    catering_for = models.PositiveSmallIntegerField(_("catering for"), null=True, blank=True)
    interpreters = models.CharField(_("interpreters booked"), max_length=300, blank=True)
    professionals_leave = models.BooleanField(
        _("professionals leave for the private time"),
        default=True,
        help_text=_(
            "The private time is for the circle: the coordinator always leaves, and "
            "professionals too unless the circle wants them to stay."
        ),
    )
    # The calendar event: one UID for the life of the meeting; SEQUENCE rises with each change
    # of date or place, so that calendars replace the old event.
    uid = models.CharField(max_length=80, unique=True, default="", blank=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.case}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.uid:
            # The site's host (SITE_URL) makes it unique across installations; once given,
            # a UID never changes, or calendars would show the meeting twice.
            self.uid = f"{uuid.uuid4()}@{settings.SITE_HOST}"
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_scheduled(self) -> bool:
        return self.starts_at is not None and self.cancelled_at is None


class CostItem(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="costs", verbose_name=_("case")
    )
    description = models.CharField(_("what"), max_length=120)
    amount = models.DecimalField(_("amount (euro)"), max_digits=8, decimal_places=2)
    funding = models.ForeignKey(
        Funding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="costs",
        verbose_name=_("paid from"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        verbose_name = _("cost item")
        verbose_name_plural = _("cost items")

    def __str__(self) -> str:
        return self.description


class Invitation(models.Model):
    """One delivery to one participant: an invitation, an update, a cancellation or a
    reminder, by email (with an .ics) or as a printed letter."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("invitation")
        UPDATE = "update", _("update")
        CANCELLATION = "cancellation", _("cancellation")
        REMINDER = "reminder", _("reminder")

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        LETTER = "letter", _("letter")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("meeting")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("participant"),
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "messaging.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    printed_at = models.DateTimeField(_("letter printed"), null=True, blank=True)
    # On the participant's first invitation: when the reminder was claimed and sent. Set by an
    # optimistic claim (``reminded_at__isnull=True``), so two workers never remind twice, and
    # an update later does not bring a second reminder.
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["meeting", "participant", "created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # A reminder goes once per date; an invitation or update once per sequence.
            models.UniqueConstraint(
                fields=["meeting", "participant", "kind", "sequence"], name="one_delivery_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.kind} {self.sequence}"


class Attendance(models.Model):
    """Who was in the room, per part of the meeting. Of the private time Kring records only who
    was there, never what was said."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("meeting")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("participant"),
    )
    information = models.BooleanField(_("information"), default=False)
    private_time = models.BooleanField(_("private time"), default=False)
    plan = models.BooleanField(_("presentation of the plan"), default=False)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["meeting", "participant"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "participant"], name="one_attendance_each")
        ]

    def __str__(self) -> str:
        return f"{self.participant}"

    @property
    def attended(self) -> bool:
        return self.information or self.private_time or self.plan
