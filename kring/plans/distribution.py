"""A copy of the plan for every participant.

Everyone in the circle gets the latest version — whether they came or not — except those who
declined to take part, unless they asked for it. With an email address: an email with the PDF
attached and a fresh link to their own page; without: a printed letter with the plan. Every
delivery is one ``Delivery`` row per version, participant and channel, so nothing goes twice,
also when two people press the button at once. A copy counts once the email is sent or the
printed letter is recorded as posted (making the letter is not enough); until then the
participant is on the list of who does not have the plan yet, and the case cannot move on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases import emails
from kring.cases.lifecycle import CaseError
from kring.cases.models import CaseAction
from kring.circle import links
from kring.circle.models import Participant, Willingness
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import document
from kring.plans.models import Delivery, Plan, PlanVersion
from kring.plans.services import latest_version

Channel = Delivery.Channel


@dataclass
class Sent:
    emails: int = 0
    letters: int = 0


@dataclass
class Copy:
    """One recipient and what became of their copy of the latest version."""

    participant: Participant
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def channel(self) -> str:
        """How they get it: by email if they have an address, else by letter."""
        return Channel.EMAIL if self.participant.email else Channel.LETTER

    @property
    def has_it(self) -> bool:
        return any(_arrived(delivery) for delivery in self.deliveries)

    @property
    def email(self) -> Delivery | None:
        return next((d for d in self.deliveries if d.channel == Channel.EMAIL), None)

    @property
    def letter(self) -> Delivery | None:
        return next((d for d in self.deliveries if d.channel == Channel.LETTER), None)

    @property
    def may_resend(self) -> bool:
        """An email that failed, or waits for another try after a failed one, can be sent
        again (to a corrected address, say)."""
        email = self.email
        if not self.participant.email or email is None or email.delivered_at is not None:
            return False
        message = email.message
        return (
            message is None
            or message.status == OutboxMessage.Status.FAILED
            or (message.status == OutboxMessage.Status.QUEUED and message.attempts > 0)
        )


def _arrived(delivery: Delivery) -> bool:
    """The same rule as :func:`delivered`, for deliveries already loaded."""
    return delivery.delivered_at is not None


def recipients(plan: Plan) -> list[Participant]:
    """Who gets the plan: everyone in the circle except those who declined, unless they
    asked for a copy."""
    if plan.pk is None:
        return []
    asked = Q(pk__in=plan.extra_recipients.values("pk"))
    return list(
        Participant.objects.filter(case_id=plan.case_id)
        .filter(~Q(willingness=Willingness.NO) | asked)
        .order_by("name", "pk")
    )


def is_recipient(plan: Plan, participant: Participant) -> bool:
    """Whether ``participant`` gets the plan (the rule of :func:`recipients`, for one)."""
    if plan.pk is None or participant.case_id != plan.case_id:
        return False
    return (
        participant.willingness != Willingness.NO
        or plan.extra_recipients.filter(pk=participant.pk).exists()
    )


def copies(plan: Plan) -> list[Copy]:
    """Every recipient with their deliveries of the latest version, in two queries."""
    version = latest_version(plan)
    found: dict[int, list[Delivery]] = {}
    if version is not None:
        for delivery in (
            Delivery.objects.filter(version=version)
            .select_related("message")
            .defer("message__body_text", "message__body_html", "message__headers")
            .order_by("created_at", "pk")
        ):
            found.setdefault(delivery.participant_id, []).append(delivery)
    return [Copy(person, found.get(person.pk, [])) for person in recipients(plan)]


def delivered(version: PlanVersion) -> set[int]:
    """The participants who have this version: the email went out, or the letter was
    printed."""
    return set(
        Delivery.objects.filter(version=version, delivered_at__isnull=False).values_list(
            "participant_id", flat=True
        )
    )


def missing(plan: Plan) -> list[Participant]:
    """Who does not have the latest version of the plan yet."""
    version = latest_version(plan)
    if version is None:
        return recipients(plan)
    have = delivered(version)
    return [p for p in recipients(plan) if p.pk not in have]


def everyone_has_it(plan: Plan) -> bool:
    return latest_version(plan) is not None and not missing(plan)


def distribute(plan: Plan, *, user: User | None) -> Sent:
    """Send the latest version to every recipient who has not been sent it yet."""
    version = latest_version(plan)
    if version is None or plan.outcome != Plan.Outcome.ACCEPTED:
        raise CaseError(_("Finalise the plan first."))
    if plan.case.is_finished:
        raise CaseError(_("This case is finished."))
    sent = Sent()
    already = set(Delivery.objects.filter(version=version).values_list("participant_id", flat=True))
    pdfs: dict[str, bytes] = {}  # one rendering per language, not one per person
    for participant in recipients(plan):
        if participant.pk in already:
            continue
        channel = Channel.EMAIL if participant.email else Channel.LETTER
        if _deliver(version, participant, channel, user=user, pdfs=pdfs):
            if channel == Channel.EMAIL:
                sent.emails += 1
            else:
                sent.letters += 1
    plan.case.log(
        CaseAction.PLAN_DISTRIBUTED,
        user=user,
        data={"version": version.number, "emails": sent.emails, "letters": sent.letters},
    )
    return sent


def resend(plan: Plan, participant: Participant, *, user: User) -> None:
    """Send the email again to someone whose copy has not arrived (a failed address, a new
    one)."""
    version = latest_version(plan)
    if version is None or participant.case_id != plan.case_id:
        raise CaseError(_("Finalise the plan first."))
    if not participant.email:
        raise CaseError(_("This person has no email address: print a letter instead."))
    if participant.pk not in {p.pk for p in recipients(plan)}:
        raise CaseError(_("This person does not receive the plan."))
    with transaction.atomic():
        delivery, _created = Delivery.objects.get_or_create(
            version=version,
            participant=participant,
            channel=Channel.EMAIL,
            defaults={"created_by": user},
        )
        if delivery.message_id is not None:
            earlier = OutboxMessage.objects.filter(pk=delivery.message_id)
            if earlier.filter(status=OutboxMessage.Status.SENDING).exists():
                raise CaseError(_("The email is being sent right now. Look again in a minute."))
            # A copy still waiting (a retry after a temporary failure) is replaced, so that
            # the new one does not come with an older copy whose link no longer works.
            earlier.filter(status=OutboxMessage.Status.QUEUED).update(
                status=OutboxMessage.Status.FAILED, last_error="Replaced by a new copy."
            )
        delivery.message = _email(version, participant)
        delivery.save(update_fields=["message"])
        plan.case.log(CaseAction.PLAN_RESENT, user=user, data={"participant": participant.pk})


def _deliver(
    version: PlanVersion,
    participant: Participant,
    channel: str,
    *,
    user: User | None,
    pdfs: dict[str, bytes] | None = None,
) -> bool:
    """One delivery, recorded first; False if it was already made (a second click)."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                version=version, participant=participant, channel=channel, created_by=user
            )
            if channel == Channel.EMAIL:
                delivery.message = _email(version, participant, pdfs)
                delivery.save(update_fields=["message"])
    except IntegrityError:
        return False
    return True


def _email(
    version: PlanVersion, participant: Participant, pdfs: dict[str, bytes] | None = None
) -> OutboxMessage:
    case = version.plan.case
    token = links.issue(participant)
    language = participant.text_language
    pdfs = {} if pdfs is None else pdfs
    if language not in pdfs:
        pdfs[language] = document.plan_pdf(version, language)
    email = emails.compose(
        "plan_copy",
        {
            "participant": participant,
            "case": case,
            "version": version,
            "url": links.url(token),
        },
        to=participant.email,
        language=language,
    )
    email.attach(document.filename(version), pdfs[language], "application/pdf")
    return outbox.store(email, purpose="plan.copy", case=case, participant=participant)


def letter(plan: Plan, participant: Participant, *, user: User) -> bytes:
    """The printed letter with the latest plan for ``participant``, with a fresh link to
    their page. Making it records the letter as printed; it counts as delivered only once
    someone records that it was posted (:func:`posted`)."""
    version = latest_version(plan)
    if version is None or plan.outcome != Plan.Outcome.ACCEPTED:
        raise CaseError(_("Finalise the plan first."))
    if participant.pk not in {p.pk for p in recipients(plan)}:
        raise CaseError(_("This person does not receive the plan."))
    token, code = links.issue_for_letter(participant)
    pdf = document.plan_letter_pdf(
        version, participant, portal_url=links.url(token), portal_code=code
    )
    now = timezone.now()
    with transaction.atomic():
        delivery, created = Delivery.objects.get_or_create(
            version=version,
            participant=participant,
            channel=Channel.LETTER,
            defaults={"created_by": user, "printed_at": now},
        )
        if not created:
            Delivery.objects.filter(pk=delivery.pk).update(printed_at=now)
        plan.case.log(
            CaseAction.PLAN_LETTER,
            user=user,
            data={"participant": participant.pk, "version": version.number},
        )
    return pdf


def posted(plan: Plan, participant: Participant, *, user: User) -> Delivery:
    """Record that the printed letter with the latest plan was posted: from now on
    ``participant`` has the plan."""
    version = latest_version(plan)
    if version is None or plan.outcome != Plan.Outcome.ACCEPTED:
        raise CaseError(_("Finalise the plan first."))
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(version=version, participant=participant, channel=Channel.LETTER)
            .first()
        )
        if delivery is None or delivery.printed_at is None:
            raise CaseError(_("Make the letter first, then record that it was posted."))
        if delivery.delivered_at is None:
            delivery.delivered_at = timezone.now()
            delivery.save(update_fields=["delivered_at"])
            plan.case.log(
                CaseAction.PLAN_LETTER_POSTED,
                user=user,
                data={"participant": participant.pk, "version": version.number},
            )
    return delivery


def add_recipient(plan: Plan, participant: Participant, *, user: User) -> None:
    """Someone who declined to take part asked for the plan: they get a copy too."""
    if participant.case_id != plan.case_id:
        raise CaseError(_("Choose people from this case's circle."))
    plan.extra_recipients.add(participant)
    plan.case.log(CaseAction.PLAN_RECIPIENT_ADDED, user=user, data={"participant": participant.pk})
