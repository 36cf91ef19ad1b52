"""The circle (kring van betrokkenen): everyone involved and everyone who can help, how they
were reached, whether they take part, and their personal links."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import LANGUAGE_CHOICES
from kring.cases.models import Case
from kring.core.choices import ChoiceLabels


class Category(models.TextChoices):
    """Who someone is in the circle. The ring of the circle picture follows from it."""

    DIRECTLY_INVOLVED = "involved", _("directly involved")
    RESIDENT = "resident", _("resident")
    FAMILY = "family", _("family")
    FRIEND = "friend", _("friend")
    NEIGHBOUR = "neighbour", _("neighbour")
    COLLEAGUE = "colleague", _("colleague")
    PUPIL = "pupil", _("pupil")
    PARENT = "parent", _("parent")
    TEACHER = "teacher", _("teacher")
    POLICE = "police", _("police")
    MUNICIPAL = "municipal", _("municipal official")
    SCHOOL_HEAD = "school_head", _("school head")
    HOUSING = "housing", _("housing corporation")
    YOUTH_WORKER = "youth_worker", _("youth worker")
    ALDERMAN = "alderman", _("alderman")
    ENTREPRENEUR = "entrepreneur", _("entrepreneur")
    PROFESSIONAL = "professional", _("other professional")
    EXPERT = "expert", _("expert")


# The rings of the circle picture: 1 at the centre.
RING = {
    Category.DIRECTLY_INVOLVED: 1,
    Category.RESIDENT: 1,
    Category.PUPIL: 1,
    Category.FAMILY: 2,
    Category.FRIEND: 2,
    Category.NEIGHBOUR: 2,
    Category.COLLEAGUE: 2,
    Category.PARENT: 2,
    Category.TEACHER: 3,
    Category.POLICE: 3,
    Category.MUNICIPAL: 3,
    Category.SCHOOL_HEAD: 3,
    Category.HOUSING: 3,
    Category.YOUTH_WORKER: 3,
    Category.ALDERMAN: 3,
    Category.ENTREPRENEUR: 3,
    Category.PROFESSIONAL: 3,
    Category.EXPERT: 4,
}
PROFESSIONALS = frozenset(c for c, ring in RING.items() if ring >= 3)


class Willingness(models.TextChoices):
    UNKNOWN = "unknown", _("not asked yet")
    YES = "yes", _("yes")
    NOT_YET = "not_yet", _("not yet")
    NO = "no", _("no")


class Diet(models.TextChoices):
    NONE = "", _("no special diet")
    VEGETARIAN = "vegetarian", _("vegetarian")
    VEGAN = "vegan", _("vegan")
    HALAL = "halal", _("halal")
    KOSHER = "kosher", _("kosher")
    GLUTEN_FREE = "gluten_free", _("gluten-free")
    LACTOSE_FREE = "lactose_free", _("lactose-free")
    OTHER = "other", _("other (see note)")


def research_approachable(via: str = "") -> models.Q:
    """Who may be asked for research, as a filter on participants (or on rows that reach one
    through ``via``, e.g. ``"participant__"``): ``Participant.may_be_asked_for_research`` says
    the same of one participant."""
    return models.Q(**{f"{via}research_consent": True}) & ~models.Q(
        **{f"{via}willingness": Willingness.NO}
    )


class Participant(ChoiceLabels):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="participants", verbose_name=_("case")
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    postal_address = models.TextField(
        _("postal address"),
        max_length=300,
        blank=True,
        help_text=_("Street and number, postcode and town, on separate lines."),
    )
    language = models.CharField(
        _("preferred language"), max_length=5, choices=LANGUAGE_CHOICES, default="nl"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    suggested_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggested",
        verbose_name=_("suggested by"),
    )
    # Needs
    interpreter = models.CharField(
        _("interpreter for"), max_length=5, choices=LANGUAGE_CHOICES, blank=True
    )
    accessibility = models.CharField(_("accessibility needs"), max_length=200, blank=True)
    childcare = models.BooleanField(_("needs childcare"), default=False)
    transport = models.BooleanField(_("needs transport"), default=False)
    diet = models.CharField(_("diet"), max_length=15, choices=Diet.choices, blank=True)
    diet_note = models.CharField(_("diet, details"), max_length=120, blank=True)
    # Informed and willing
    informed_at = models.DateTimeField(_("informed"), null=True, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("informed by"),
    )
    willingness = models.CharField(
        _("takes part"), max_length=10, choices=Willingness.choices, default=Willingness.UNKNOWN
    )
    willingness_at = models.DateTimeField(_("answered"), null=True, blank=True)
    willingness_by_self = models.BooleanField(
        _("answered on their own page"), default=False, editable=False
    )
    written_view = models.TextField(
        _("written view"),
        max_length=4000,
        blank=True,
        help_text=_("For someone who cannot come: read out at the meeting."),
    )
    # Research consent: None = not asked, True = may be asked for the follow-up, False = not.
    # Every change is in followup.ConsentChange.
    research_consent = models.BooleanField(_("research consent"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["case", "name", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["case", "willingness"])]

    def __str__(self) -> str:
        return self.name

    @property
    def ring(self) -> int:
        return RING.get(Category(self.category), 3) if self.category in Category.values else 3

    @property
    def is_professional(self) -> bool:
        return self.category in PROFESSIONALS

    @property
    def is_expert(self) -> bool:
        return self.category == Category.EXPERT

    @property
    def declined(self) -> bool:
        """A "no" is final unless they change it themselves: nothing is sent to them."""
        return self.willingness == Willingness.NO

    @property
    def may_be_asked_for_research(self) -> bool:
        """Research consent given, and not a "no" to taking part: the one rule for who is
        asked, reminded, called or written to at a follow-up (``research_approachable()`` is
        the same rule as a filter)."""
        return self.research_consent is True and not self.declined

    @property
    def reachable_by_email(self) -> bool:
        return bool(self.email)

    @property
    def text_language(self) -> str:
        """The language Kring writes to them in: their own if Kring speaks it, else the
        site's language (emails, letters, calendar events and their own page)."""
        spoken = {code for code, _name in settings.LANGUAGES}
        return self.language if self.language in spoken else settings.LANGUAGE_CODE

    def needs(self) -> list[str]:
        """Their needs, in words."""
        listed: list[str] = []
        if self.interpreter:
            listed.append(
                str(_("interpreter: %(language)s") % {"language": self.get_interpreter_display()})
            )
        if self.accessibility:
            listed.append(self.accessibility)
        if self.childcare:
            listed.append(str(_("childcare")))
        if self.transport:
            listed.append(str(_("transport")))
        if self.diet:
            listed.append(
                self.get_diet_display() + (f" ({self.diet_note})" if self.diet_note else "")
            )
        return listed


class ContactMoment(models.Model):
    """How the coordinator reached someone — logistics only, never what was said about the
    conflict."""

    class Channel(models.TextChoices):
        VISIT = "visit", _("visit")
        PHONE = "phone", _("phone")
        LETTER = "letter", _("letter")
        EMAIL = "email", _("email")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("spoke with them")
        NOT_REACHED = "not_reached", _("not reached")
        MESSAGE_LEFT = "message_left", _("left a message")
        SENT = "sent", _("sent")
        APPOINTMENT = "appointment", _("made an appointment")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("participant"),
    )
    on = models.DateField(_("date"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    note = models.CharField(
        _("practical note"),
        max_length=200,
        blank=True,
        help_text=_(
            "Logistics only (for example: call back after 6 pm). Nothing about the conflict."
        ),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["participant", "-on", "-pk"]
        verbose_name = _("contact moment")
        verbose_name_plural = _("contact moments")

    def __str__(self) -> str:
        return f"{self.participant} {self.on}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalLink(models.Model):
    """A participant's link to their own page. Only the hash of the token is kept."""

    class Purpose(models.TextChoices):
        PORTAL = "portal", _("personal page")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="links", verbose_name=_("participant")
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.PORTAL)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Staff revoked it, and why; empty when the case ended or the person said no.
    revoked_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    # A letter's link also has a short code to type at /code/: only its keyed hash is kept.
    code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")
        indexes = [models.Index(fields=["participant", "purpose"])]

    def __str__(self) -> str:
        return f"{self.participant} ({self.purpose})"

    def is_valid(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class InformationNeed(models.Model):
    """A question the circle needs answered by a professional or expert in the information
    part of the meeting."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="information_needs", verbose_name=_("case")
    )
    question = models.CharField(_("question"), max_length=300)
    answered_by = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answered by"),
    )
    in_writing = models.BooleanField(_("answer in writing"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        verbose_name = _("information need")
        verbose_name_plural = _("information needs")

    def __str__(self) -> str:
        return self.question
