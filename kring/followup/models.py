"""The follow-up: months after the plan, the participants who agreed to research are asked how
the plan went.

A ``FollowUp`` is one moment (3 months after the meeting by default; 6 or 12 may be added). The
worker opens it once on its due date: it then gets a ``Respondent`` for every participant who
gave research consent and did not decline to take part, each with a short code they can give
on the phone. The answers are the respondent's; a researcher sees codes and categories, never
a name or a way to reach someone.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case
from kring.circle.models import Participant
from kring.plans.models import Agreement

# No 0/O, 1/I/L: a code read out on the phone cannot be misheard as another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


STUDY_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789"


def new_study_id() -> str:
    return "S" + "".join(secrets.choice(STUDY_ALPHABET) for _ in range(9))


class StudyCase(models.Model):
    """A case's study ID: random, not derived from the reference, so the research data cannot be
    joined back to a case by anyone who does not hold this table."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="study", verbose_name=_("case")
    )
    study_id = models.CharField(_("study ID"), max_length=12, unique=True, default=new_study_id)

    class Meta:
        db_table = "research_studycase"  # made by the research app, which held it first
        verbose_name = _("study ID")
        verbose_name_plural = _("study IDs")

    def __str__(self) -> str:
        return self.study_id


class FollowUp(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("planned")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("case")
    )
    months = models.PositiveSmallIntegerField(
        _("months after the meeting"), validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    due_on = models.DateField(_("due"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PLANNED
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    # Which worker opened it: a second worker finds the row taken and leaves it.
    opened_by = models.CharField(max_length=60, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "months"], name="one_follow_up_per_moment")
        ]

    def __str__(self) -> str:
        return f"{self.case} +{self.months}m"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def overdue_on(self) -> dt.date:
        """From this day on, an open follow-up without every answer is overdue."""
        return self.due_on + dt.timedelta(days=settings.KRING_FOLLOW_UP_ANSWER_DAYS)


class Respondent(models.Model):
    """One participant asked at one follow-up moment, and their answers."""

    class Better(models.IntegerChoices):
        MUCH_WORSE = 1, _("much worse")
        WORSE = 2, _("worse")
        SAME = 3, _("the same")
        BETTER = 4, _("better")
        MUCH_BETTER = 5, _("much better")

    class Needed(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")
        UNSURE = "unsure", _("I don't know")

    class Via(models.TextChoices):
        OWN_PAGE = "own_page", _("own page")
        RESEARCHER = "researcher", _("by a researcher, after a call")

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="respondents", verbose_name=_("follow-up")
    )
    # Kept when the person is erased: the answers stay, pseudonymous, for research.
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        related_name="respondents",
        verbose_name=_("participant"),
    )
    code = models.CharField(_("code"), max_length=12, default=new_code)
    # A copy of the participant's category, so that the research keeps it after erasure.
    category = models.CharField(_("category"), max_length=20, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined to answer"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_via = models.CharField(
        _("answered via"), max_length=10, choices=Via.choices, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    better = models.PositiveSmallIntegerField(
        _("is the situation better than before the conference?"),
        choices=Better.choices,
        null=True,
        blank=True,
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("how satisfied are you with the conference? (1–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    recommend = models.BooleanField(
        _("would you recommend an Eigen Kracht-conferentie to others?"), null=True, blank=True
    )
    new_conference = models.CharField(
        _("is a new conference needed?"), max_length=6, choices=Needed.choices, blank=True
    )
    remark = models.TextField(_("remark"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("respondent")
        verbose_name_plural = _("respondents")
        ordering = ["follow_up", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "participant"], name="one_respondent_per_person_and_moment"
            ),
            models.UniqueConstraint(fields=["follow_up", "code"], name="respondent_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def declined(self) -> bool:
        return self.declined_at is not None


class AgreementOutcome(models.Model):
    """Per agreement of the plan: was it done?"""

    class Outcome(models.TextChoices):
        DONE = "done", _("done")
        PARTLY = "partly", _("partly")
        NOT = "not", _("not")
        NOT_RELEVANT = "not_relevant", _("no longer relevant")

    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("respondent")
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="follow_up_outcomes",
        verbose_name=_("agreement"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)

    class Meta:
        verbose_name = _("outcome of an agreement")
        verbose_name_plural = _("outcomes of agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "agreement"], name="one_outcome_per_agreement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.respondent} {self.agreement_id}: {self.outcome}"


class ContactAttempt(models.Model):
    """A try to reach a respondent: the invitation and reminders, or a researcher's call."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("invitation")
        REMINDER = "reminder", _("reminder")
        CALL = "call", _("phone call")

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        LETTER = "letter", _("letter")
        PHONE = "phone", _("phone")

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        REACHED = "reached", _("spoke with them")
        NOT_REACHED = "not_reached", _("not reached")
        MESSAGE_LEFT = "message_left", _("left a message")
        CALL_BACK = "call_back", _("call back later")

    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("respondent")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.respondent} {self.kind} {self.at:%Y-%m-%d}"


class ConsentChange(models.Model):
    """The consent log: every time someone gives or withdraws research consent."""

    class Via(models.TextChoices):
        OWN_PAGE = "own_page", _("own page")
        STAFF = "staff", _("recorded by staff")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="consent_changes",
        verbose_name=_("participant"),
    )
    given = models.BooleanField(_("consent given"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("research consent change")
        verbose_name_plural = _("research consent changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.participant_id} {'+' if self.given else '-'} {self.at:%Y-%m-%d}"
