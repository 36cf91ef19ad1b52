"""The plan the circle makes: answers to the questions, agreements, requests to organisations,
who watches over it, evaluation moments and what happens if something does not work; who
endorsed it, whether it meets the bottom lines, its frozen versions and every delivery.

The content is the circle's: the coordinator records it. A version is frozen when the plan is
finalised; a change after distribution makes a new version and keeps the old ones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.cases.models import BottomLine, Case, ConferenceQuestion
from kring.circle.models import Participant


class Plan(models.Model):
    class Outcome(models.TextChoices):
        DRAFT = "", _("not decided yet")
        ACCEPTED = "accepted", _("plan accepted")
        NOT_ACCEPTED = "not_accepted", _("plan not accepted")
        NO_PLAN = "no_plan", _("no plan")

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="plan", verbose_name=_("case")
    )
    monitors = models.ManyToManyField(
        Participant,
        blank=True,
        related_name="monitored_plans",
        verbose_name=_("who watches over the plan"),
    )
    monitor_note = models.CharField(
        _("watching over the plan, how"),
        max_length=300,
        blank=True,
        help_text=_("For example: checks every month with everyone whether it is working."),
    )
    contingency = models.TextField(
        _("what we do if something does not work"), max_length=2000, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=15, choices=Outcome.choices, blank=True, default=""
    )
    outcome_reason = models.CharField(_("reason"), max_length=500, blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    # Extra copies: someone who declined to take part but asked for the plan.
    extra_recipients = models.ManyToManyField(
        Participant,
        blank=True,
        related_name="requested_plans",
        verbose_name=_("also sent to"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"{self.case}"


class Answer(models.Model):
    """The circle's answer to one conference question."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="answers", verbose_name=_("plan")
    )
    question = models.ForeignKey(
        ConferenceQuestion,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("conference question"),
    )
    text = models.TextField(_("answer"), max_length=3000, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["plan", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Item(models.Model):
    """What agreements, requests and evaluation moments share: a place in the plan's order
    (which the circle chooses) and a version against lost updates."""

    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Agreement(Item):
    """Who does what, where and when."""

    class When(models.TextChoices):
        NONE = "", _("not set yet")
        DATE = "date", _("on a date")
        PERIOD = "period", _("during a period")
        RECURRING = "recurring", _("recurring")

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("plan")
    )
    what = models.TextField(_("what"), max_length=1000, blank=True)
    who = models.ManyToManyField(
        Participant, blank=True, related_name="agreements", verbose_name=_("who")
    )
    who_organisation = models.CharField(
        _("or an organisation"),
        max_length=120,
        blank=True,
        help_text=_("For example: the housing corporation."),
    )
    where = models.CharField(_("where"), max_length=200, blank=True)
    when = models.CharField(_("when"), max_length=10, choices=When.choices, blank=True)
    on = models.DateField(_("date"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    recurrence = models.CharField(
        _("how often"),
        max_length=120,
        blank=True,
        help_text=_("For example: every Monday evening, or on the first Saturday of the month."),
    )

    class Meta:
        ordering = ["plan", "order", "pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until__isnull=True)
                | models.Q(on__isnull=True)
                | models.Q(until__gte=models.F("on")),
                name="agreement_until_after_on",
            )
        ]

    def __str__(self) -> str:
        return self.what[:60]


class OrganisationRequest(Item):
    """What the circle asks of an organisation (the housing corporation repairs the lighting),
    and the organisation's answer."""

    class Reply(models.TextChoices):
        PENDING = "", _("no answer yet")
        YES = "yes", _("agreed")
        PARTLY = "partly", _("partly agreed")
        NO = "no", _("refused")

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="requests", verbose_name=_("plan")
    )
    organisation = models.CharField(_("organisation"), max_length=120)
    request = models.TextField(_("request"), max_length=1000)
    reply = models.CharField(
        _("answer"), max_length=10, choices=Reply.choices, blank=True, default=""
    )
    reply_note = models.CharField(_("answer, details"), max_length=500, blank=True)

    class Meta:
        ordering = ["plan", "order", "pk"]
        verbose_name = _("request to an organisation")
        verbose_name_plural = _("requests to organisations")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.request[:40]}"


class Evaluation(Item):
    """A moment when the circle (or part of it) looks at how the plan is going."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("plan")
    )
    on = models.DateField(_("date"))
    description = models.CharField(
        _("how and with whom"),
        max_length=300,
        blank=True,
        help_text=_("For example: everyone meets again at the community centre."),
    )

    class Meta:
        ordering = ["plan", "on", "order", "pk"]
        verbose_name = _("evaluation moment")
        verbose_name_plural = _("evaluation moments")

    def __str__(self) -> str:
        return f"{self.on}"


class Endorsement(models.Model):
    """A participant's yes to the plan: at the meeting, or on their own page."""

    class Via(models.TextChoices):
        MEETING = "meeting", _("at the meeting")
        OWN_PAGE = "own_page", _("on their own page")

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="endorsements", verbose_name=_("plan")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="endorsements",
        verbose_name=_("participant"),
    )
    via = models.CharField(_("how"), max_length=10, choices=Via.choices)
    at = models.DateTimeField(_("endorsed"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        help_text=_("Empty: the participant endorsed on their own page."),
    )

    class Meta:
        ordering = ["plan", "at", "pk"]
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        constraints = [
            models.UniqueConstraint(fields=["plan", "participant"], name="one_endorsement_each")
        ]

    def __str__(self) -> str:
        return f"{self.participant}"


class BottomLineCheck(models.Model):
    """Whether the plan meets a bottom line, as the mandated professional who set it says."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="bottom_line_checks", verbose_name=_("plan")
    )
    bottom_line = models.ForeignKey(
        BottomLine, on_delete=models.CASCADE, related_name="checks", verbose_name=_("bottom line")
    )
    met = models.BooleanField(_("the plan meets it"))
    reason = models.CharField(_("why not"), max_length=500, blank=True)
    checked_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("bottom line check")
        verbose_name_plural = _("bottom line checks")
        constraints = [
            models.UniqueConstraint(fields=["plan", "bottom_line"], name="one_check_per_line"),
            models.CheckConstraint(
                condition=models.Q(met=True) | ~models.Q(reason=""), name="unmet_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bottom_line}: {self.met}"


class PlanVersion(models.Model):
    """The plan as finalised: a frozen copy of its content, from which the page and the PDF are
    made. Versions are numbered from 1 and never change once someone has received them."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="versions", verbose_name=_("plan")
    )
    number = models.PositiveIntegerField(_("version"))
    content: models.JSONField[Any, Any] = models.JSONField(_("content"))
    finalised_at = models.DateTimeField(_("finalised"), default=timezone.now)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("finalised by"),
    )

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class Delivery(models.Model):
    """One copy of one version of the plan to one participant: by email (PDF attached, with a
    link to their page) or as a printed letter. A copy counts as delivered once the email is
    sent or the letter printed."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        LETTER = "letter", _("letter")

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("version")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="plan_deliveries",
        verbose_name=_("participant"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "messaging.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    printed_at = models.DateTimeField(_("letter printed"), null=True, blank=True)
    # When the copy reached them: the email went out, or the letter was printed. Kept after
    # the message itself is deleted (sent+3m).
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["version", "participant", "created_at"]
        verbose_name = _("plan delivery")
        verbose_name_plural = _("plan deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "participant", "channel"], name="one_delivery_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} v{self.version.number} {self.channel}"


class AftercareCall(models.Model):
    """The coordinator's call about four weeks after the meeting: how is it going."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="aftercare", verbose_name=_("case")
    )
    on = models.DateField(_("date of the call"))
    how_it_goes = models.TextField(
        _("how it is going"),
        max_length=2000,
        help_text=_("About the plan: what works, what does not. Nothing else about people."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("aftercare call")
        verbose_name_plural = _("aftercare calls")

    def __str__(self) -> str:
        return f"{self.case} {self.on}"
