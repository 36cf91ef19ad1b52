"""The one way views reach research figures: every figure is computed over this scope.

- A researcher and an administrator see national figures (aggregates and pseudonymised rows).
- A regional manager sees the figures of the regions they manage.
- The pseudonymised dataset itself is for researchers only (:func:`may_export`).
"""

from __future__ import annotations

from django.db.models import QuerySet

from kring.accounts.models import Organisation, User
from kring.cases.access import managed_cases
from kring.cases.models import Case
from kring.research.models import ExportFile


def research_cases(user: User | object) -> QuerySet[Case]:
    if not isinstance(user, User) or not user.is_active:
        return Case.objects.none()
    if user.is_researcher or user.is_administrator:
        return Case.objects.all()
    if user.is_regional_manager:
        return managed_cases(user)
    return Case.objects.none()


def is_national(user: User | object) -> bool:
    return isinstance(user, User) and (user.is_researcher or user.is_administrator)


def may_export(user: User | object) -> bool:
    return isinstance(user, User) and user.is_active and user.is_researcher


def financiers_for(user: User | object) -> QuerySet[Organisation]:
    """The financiers of the cases in the user's scope."""
    return (
        Organisation.objects.filter(fundings__case__in=research_cases(user))
        .distinct()
        .order_by("name")
    )


def export_files_for(user: User | object) -> QuerySet[ExportFile]:
    """The export files a researcher asked for: nobody sees another's."""
    if not isinstance(user, User) or not may_export(user):
        return ExportFile.objects.none()
    return ExportFile.objects.filter(requested_by=user)
