"""Staff, their roles, the regions they work in, and coordinator profiles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.core.prepared import Prepared

LANGUAGE_CHOICES = [
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("tr", _("Turkish")),
    ("pl", _("Polish")),
    ("ber", _("Berber (Tamazight)")),
    ("pap", _("Papiamento")),
    ("srn", _("Sranantongo")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("uk", _("Ukrainian")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("fy", _("Frisian")),
    ("ngt", _("Dutch Sign Language (NGT)")),
]


class Gender(models.TextChoices):
    FEMALE = "female", _("woman")
    MALE = "male", _("man")
    OTHER = "other", _("other")
    UNSPECIFIED = "", _("not stated")


class Role(models.TextChoices):
    """Staff roles. One person may hold several."""

    REGIONAL_MANAGER = "regional_manager", _("regional manager")
    COORDINATOR = "coordinator", _("coordinator")
    RESEARCHER = "researcher", _("researcher")
    ADMINISTRATOR = "administrator", _("administrator")


class Region(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    # The regional office: whom participants and requesters in this region can reach.
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    email = models.EmailField(_("office email"), blank=True)
    postal_address = models.TextField(
        _("office postal address"),
        blank=True,
        help_text=_("One line per line of the address, as on an envelope."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_postcode(cls, postcode: str) -> Region | None:
        """The region whose postcode ranges cover a Dutch postcode (``1234 AB``), if any."""
        digits = postcode.strip()[:4]
        if len(digits) != 4 or not digits.isdigit():
            return None
        number = int(digits)
        postcode_range = (
            PostcodeRange.objects.select_related("region")
            .filter(start__lte=number, end__gte=number)
            .first()
        )
        return postcode_range.region if postcode_range else None


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class PostcodeRange(models.Model):
    """A range of four-digit postcodes, inclusive at both ends, that a region covers."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="postcode_ranges", verbose_name=_("region")
    )
    start = models.PositiveIntegerField(
        _("from"), validators=[MinValueValidator(1000), MaxValueValidator(9999)]
    )
    end = models.PositiveIntegerField(
        _("to"), validators=[MinValueValidator(1000), MaxValueValidator(9999)]
    )

    class Meta:
        ordering = ["start"]
        verbose_name = _("postcode range")
        verbose_name_plural = _("postcode ranges")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="postcode_range_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None:
            if self.start > self.end:
                raise ValidationError(_("The first postcode must not be above the last."))
            overlapping = PostcodeRange.objects.filter(
                start__lte=self.end, end__gte=self.start
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError(
                    _("This range overlaps %(other)s.") % {"other": overlapping.first()}
                )


class Organisation(models.Model):
    """An organisation people can be linked to: a financier, a requester's employer, a
    coordinator's other work. Used for conflict-of-interest checks."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "gemeente", _("municipality")
        PROVINCE = "provincie", _("province")
        SCHOOL = "school", _("school")
        HOUSING = "woningcorporatie", _("housing corporation")
        CARE = "zorgorganisatie", _("care organisation")
        POLICE = "politie", _("police")
        BUSINESS = "bedrijf", _("business")
        OTHER = "anders", _("other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get(self, *args: Any, **kwargs: Any) -> User:
        """``get(pk=…)`` with SQL written once (kring.core.prepared): how every staff request
        finds its signed-in user (Django's ModelBackend.get_user), the ORM's writing of that
        lookup a twentieth of the case list's CPU; it reads whether the user holds a second
        factor and the regions the user manages as well (``SECOND_FACTOR``,
        ``MANAGED_REGIONS``). Anything else as Django does it: another
        lookup, another database, a historical model in a migration, and a related manager
        (``region.managers``: a subclass of this one, whose get() keeps to the relation)."""
        pk = kwargs.get("pk")
        if (
            args
            or len(kwargs) != 1
            or type(pk) is not int
            or self._db
            or type(self) is not UserManager
            or self.model is not User
        ):
            return super().get(*args, **kwargs)
        found = _USER_BY_PK(pk)
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return found[0]

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_administrator", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Requesters and participants have no account."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    # Set where the user was read by ``User.objects.get(pk=…)`` (``_signed_in``), absent
    # otherwise: annotations, not fields.
    holds_second_factor: bool
    managed_region_list: str

    is_regional_manager = models.BooleanField(_("regional manager"), default=False)
    is_coordinator = models.BooleanField(_("coordinator"), default=False)
    is_researcher = models.BooleanField(_("researcher"), default=False)
    is_administrator = models.BooleanField(_("administrator"), default=False)

    managed_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="managers",
        verbose_name=_("regions managed"),
        help_text=_("A regional manager sees the cases of these regions."),
    )
    sees_national_inbox = models.BooleanField(
        _("sees the national inbox"),
        default=False,
        help_text=_("Requests whose postcode matches no region land in the national inbox."),
    )
    daily_digest = models.BooleanField(
        _("daily email of what is due"),
        default=True,
        help_text=_("Once a day, an email listing what fell due for you, if anything did."),
    )
    # The worker claims the digest by moving this date on (an optimistic update).
    digest_due_on = models.DateField(_("next daily email"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The Django admin is reference data: only administrators reach it.
        self.is_staff = self.is_administrator
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "is_administrator" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff"}
        super().save(*args, **kwargs)

    is_staff = models.BooleanField(_("may use the admin"), default=False, editable=False)

    @property
    def roles(self) -> list[Role]:
        return [
            role
            for role, held in (
                (Role.REGIONAL_MANAGER, self.is_regional_manager),
                (Role.COORDINATOR, self.is_coordinator),
                (Role.RESEARCHER, self.is_researcher),
                (Role.ADMINISTRATOR, self.is_administrator),
            )
            if held
        ]

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        # Administrators keep the reference data; the admin registers nothing else.
        if self.is_active and self.is_administrator:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_administrator:
            return True
        return super().has_module_perms(app_label)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class CoordinatorProfile(models.Model):
    """What matching a coordinator to a case needs to know about them."""

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("available")
        LIMITED = "limited", _("limited")
        UNAVAILABLE = "unavailable", _("not available")

    class Training(models.TextChoices):
        IN_TRAINING = "in_training", _("in training")
        CERTIFIED = "certified", _("certified")
        LAPSED = "lapsed", _("certification lapsed")

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="coordinator_profile",
        verbose_name=_("coordinator"),
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_("Codes of the languages this coordinator can hold a conversation in."),
    )
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, blank=True, default=Gender.UNSPECIFIED
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="coordinators", verbose_name=_("regions")
    )
    availability = models.CharField(
        _("availability"),
        max_length=12,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
    )
    max_cases = models.PositiveSmallIntegerField(
        _("most cases at once"), default=3, validators=[MaxValueValidator(20)]
    )
    training = models.CharField(
        _("training"), max_length=12, choices=Training.choices, default=Training.IN_TRAINING
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="linked_coordinators",
        verbose_name=_("linked organisations"),
        help_text=_("Organisations this coordinator works for or is otherwise linked to."),
    )

    class Meta:
        verbose_name = _("coordinator profile")
        verbose_name_plural = _("coordinator profiles")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        known = {code for code, _label in LANGUAGE_CHOICES}
        unknown = [code for code in self.languages or [] if code not in known]
        if not isinstance(self.languages, list) or unknown:
            raise ValidationError(
                {
                    "languages": _("Unknown language code(s): %(codes)s.")
                    % {"codes": ", ".join(map(str, unknown))}
                }
            )


# What every staff request asks about its user, read with the user itself (one query instead
# of three): whether the user holds a second factor, TOTP or a security key
# (kring.accounts.middleware), and the ids of the regions the user manages, as text
# ("3,7"; "" for none; kring.cases.access.managed_region_ids).
SECOND_FACTOR = "holds_second_factor"
MANAGED_REGIONS = "managed_region_list"


class _IdList(models.Aggregate):
    """The ids of a group as one text, "3,7" (``string_agg`` on PostgreSQL, ``group_concat``
    on SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(%(expressions)s AS text), ',')"
    output_field = models.TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s, ',')",
            **extra,
        )


def ids_of(text: str) -> list[int]:
    """The ids of a :class:`_IdList`'s text, in order."""
    return sorted(int(found) for found in text.split(",")) if text else []


def second_factors(user_id: Any) -> models.QuerySet[Any]:
    """The authenticators of a user (an id, or ``OuterRef("pk")``) that are a second factor:
    TOTP or a security key (a recovery code is not)."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user_id=user_id, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    )


def _signed_in(pk: int) -> models.QuerySet[User]:
    managed = (
        User.managed_regions.through.objects.filter(user_id=models.OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(ids=_IdList("region_id"))
        .values("ids")  # type: ignore[misc]  # the annotation's name, which the stubs miss
    )
    return User.objects.filter(pk=pk).annotate(
        **{
            SECOND_FACTOR: models.Exists(second_factors(models.OuterRef("pk"))),
            MANAGED_REGIONS: Coalesce(
                models.Subquery(managed), models.Value(""), output_field=models.TextField()
            ),
        }
    )


_USER_BY_PK = Prepared(_signed_in, int)
