"""Matching a coordinator to a case: a ranked list with the reasons for each rank, and the
coordinators who are excluded, with why.

Excluded: not available; a conflict of interest — a link to the requester's organisation or a
financier's, or a conflict declared for this case; already asked for or working on the case.
Ranked by: region, the language and gender wished for, current workload, training and
availability; coordinators at their maximum number of cases come last. Each factor adds or
subtracts points and says so in words, so the manager sees why one coordinator stands above
another and can choose otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kring.accounts.models import LANGUAGE_CHOICES, CoordinatorProfile, Gender, User
from kring.cases.models import ACTIVE_ASSIGNMENT_STATES, Case, ConflictOfInterest

ACTIVE = ACTIVE_ASSIGNMENT_STATES
LANGUAGES = dict(LANGUAGE_CHOICES)


@dataclass
class Candidate:
    coordinator: User
    profile: CoordinatorProfile
    active_cases: int
    score: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.active_cases >= self.profile.max_cases

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append((reason, points))


@dataclass
class Excluded:
    coordinator: User
    reasons: list[str]


def normalise(name: str) -> str:
    return " ".join(name.casefold().split())


def conflict_organisations(case: Case) -> dict[str, str]:
    """Organisations a coordinator must not be linked to, by normalised name, with the role
    each plays in the case."""
    linked: dict[str, str] = {}
    for funding in case.fundings.select_related("organisation"):
        linked[normalise(funding.organisation.name)] = _("%(name)s, a financier of this case") % {
            "name": funding.organisation.name
        }
    if case.requester_organisation.strip():
        linked.setdefault(
            normalise(case.requester_organisation),
            _("%(name)s, the requester's organisation") % {"name": case.requester_organisation},
        )
    return linked


def _profiles() -> list[CoordinatorProfile]:
    return list(
        CoordinatorProfile.objects.filter(user__is_active=True, user__is_coordinator=True)
        .select_related("user")
        .prefetch_related("regions", "organisations")
        .annotate(
            active_cases=Count("user__assignments", filter=Q(user__assignments__state__in=ACTIVE))
        )
        .order_by("user__full_name", "pk")
    )


def _exclusions(
    profile: CoordinatorProfile,
    linked: dict[str, str],
    declared: dict[int, str],
    on_case: set[int],
) -> list[str]:
    reasons = []
    if profile.user_id in on_case:
        reasons.append(_("already asked for or working on this case"))
    if profile.user_id in declared:
        reasons.append(
            _("conflict of interest: %(reason)s") % {"reason": declared[profile.user_id]}
        )
    for organisation in profile.organisations.all():
        role = linked.get(normalise(organisation.name))
        if role:
            reasons.append(_("linked to %(organisation)s") % {"organisation": role})
    if profile.availability == CoordinatorProfile.Availability.UNAVAILABLE:
        reasons.append(_("not available"))
    return reasons


def _rank(case: Case, profile: CoordinatorProfile) -> Candidate:
    candidate = Candidate(profile.user, profile, getattr(profile, "active_cases", 0))
    if case.region_id is not None:
        if any(region.pk == case.region_id for region in profile.regions.all()):
            candidate.add(30, _("works in region %(region)s") % {"region": case.region})
        else:
            candidate.add(-10, _("works outside region %(region)s") % {"region": case.region})
    if case.coordinator_language:
        language = LANGUAGES.get(case.coordinator_language, case.coordinator_language)
        if case.coordinator_language in (profile.languages or []):
            candidate.add(25, _("speaks %(language)s, as wished") % {"language": language})
        else:
            candidate.add(
                -25, _("does not speak %(language)s, which was wished") % {"language": language}
            )
    if case.coordinator_gender:
        wished = Gender(case.coordinator_gender).label
        if profile.gender == case.coordinator_gender:
            candidate.add(15, _("gender as wished (%(gender)s)") % {"gender": wished})
        else:
            candidate.add(-15, _("a %(gender)s was wished for") % {"gender": wished})
    free = profile.max_cases - candidate.active_cases
    workload = _("%(active)s of at most %(max)s cases") % {
        "active": candidate.active_cases,
        "max": profile.max_cases,
    }
    if free <= 0:
        workload = _("%(active)s of at most %(max)s cases: full, listed last") % {
            "active": candidate.active_cases,
            "max": profile.max_cases,
        }
    candidate.add(min(free, 4) * 5 if free > 0 else -40, workload)
    if profile.training == CoordinatorProfile.Training.CERTIFIED:
        candidate.add(10, _("certified"))
    elif profile.training == CoordinatorProfile.Training.IN_TRAINING:
        candidate.add(-5, _("in training: best paired with a certified coordinator"))
    else:
        candidate.add(-30, _("certification lapsed"))
    if profile.availability == CoordinatorProfile.Availability.LIMITED:
        candidate.add(-10, _("limited availability"))
    return candidate


def match(case: Case) -> tuple[list[Candidate], list[Excluded]]:
    """Every active coordinator, either ranked (best first) or excluded with the reasons."""
    linked = conflict_organisations(case)
    declared = dict(
        ConflictOfInterest.objects.filter(case=case).values_list("coordinator_id", "reason")
    )
    on_case = set(
        case.assignments.filter(state__in=ACTIVE).values_list("coordinator_id", flat=True)
    )
    ranked, excluded = [], []
    for profile in _profiles():
        reasons = _exclusions(profile, linked, declared, on_case)
        if reasons:
            excluded.append(Excluded(profile.user, reasons))
        else:
            ranked.append(_rank(case, profile))
    # Someone at their maximum could still agree to one more, but comes after everyone else.
    ranked.sort(key=lambda c: (c.full, -c.score, c.coordinator.full_name))
    return ranked, excluded


def exclusion_reason(case: Case, coordinator: User) -> str | None:
    """Why ``coordinator`` cannot be asked for ``case`` (joined), or None."""
    profile = (
        CoordinatorProfile.objects.filter(user=coordinator)
        .prefetch_related("organisations")
        .first()
    )
    if profile is None:
        return _("has no coordinator profile")
    declared = dict(
        ConflictOfInterest.objects.filter(case=case).values_list("coordinator_id", "reason")
    )
    on_case = set(
        case.assignments.filter(state__in=ACTIVE).values_list("coordinator_id", flat=True)
    )
    reasons = _exclusions(profile, conflict_organisations(case), declared, on_case)
    return "; ".join(reasons) or None
