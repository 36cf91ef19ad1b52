from __future__ import annotations

import factory
from django.utils import timezone

from kring.accounts.models import CoordinatorProfile, Municipality, PostcodeRange, Region, User
from kring.cases.models import Assignment, Case, CaseEvent, Status, Variant

PASSWORD = "correct-horse-battery-staple"


def totp_secret(user: User) -> str:
    """The TOTP secret of ``user``'s second factor: each test user has one of their own, so two
    sign-ins in one 30-second step (by the same person in two tests) never meet a code already
    used, and no test waits for the next step."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return str(get_adapter().decrypt(authenticator.data["secret"]))


def totp_code(user: User, at: float | None = None) -> str:
    """The current one-time code of ``user``'s authenticator, as their app shows it."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(totp_secret(user), int(at or time.time()) // 30))


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Regio {n}")
    slug = factory.Sequence(lambda n: f"regio-{n}")


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Gemeente {n}")
    region = factory.SubFactory(RegionFactory)


class PostcodeRangeFactory(factory.django.DjangoModelFactory[PostcodeRange]):
    class Meta:
        model = PostcodeRange

    region = factory.SubFactory(RegionFactory)
    start = 1000
    end = 1999


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"medewerker{n}@kring.test")
    full_name = factory.Sequence(lambda n: f"Medewerker {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        """Staff have a second factor (pass ``second_factor=False`` for one who has not)."""
        if create and extracted is not False:
            import base64
            import secrets

            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(obj, base64.b32encode(secrets.token_bytes(20)).decode())


class CoordinatorProfileFactory(factory.django.DjangoModelFactory[CoordinatorProfile]):
    class Meta:
        model = CoordinatorProfile

    user = factory.SubFactory(UserFactory, is_coordinator=True)
    languages = factory.LazyFunction(lambda: ["nl"])


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    variant = Variant.NEIGHBOURHOOD
    region = factory.SubFactory(RegionFactory)
    place = factory.Sequence(lambda n: f"Bewoners Molenstraat {n}")
    postcode = "1011 AB"
    description = "Overlast van jongeren op het plein."
    requester_name = factory.Sequence(lambda n: f"Aanvrager {n}")
    requester_email = factory.Sequence(lambda n: f"aanvrager{n}@voorbeeld.test")
    requester_phone = "06-12345678"

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            CaseEvent.objects.create(
                case=obj, action="case.requested", to_status=Status.REQUESTED, at=timezone.now()
            )


def case_in_status(status: str, *, coordinator: User | None = None, **kwargs) -> Case:
    """A case placed directly in ``status`` (as the seed loads them), with its assignment."""
    case = CaseFactory(**kwargs)
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    if coordinator is not None:
        state = (
            Assignment.State.OFFERED
            if status == Status.COORDINATOR_ASSIGNED
            else Assignment.State.ENDED
            if status in ("follow_up", "closed", "stopped", "withdrawn")
            else Assignment.State.ACCEPTED
        )
        Assignment.objects.create(case=case, coordinator=coordinator, state=state)
    return case
