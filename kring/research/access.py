"""The one way views reach research figures: every figure is computed over this scope.

- A researcher and an administrator see national figures (aggregates and pseudonymised rows).
- A regional manager sees the figures of the regions they manage.
- The pseudonymised dataset itself is for researchers only (:func:`may_export`).
"""

from __future__ import annotations

from django.db.models import QuerySet

from kring.accounts.models import Organisation, User
from kring.cases.access import managed_cases, managed_region_ids
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


def research_areas(user: User | object) -> list[str]:
    """The same scope as :func:`research_cases`, as the areas of the dashboard's summary
    (:mod:`kring.research.summary`): ``all``, or the manager's regions and the national inbox
    if they hold it."""
    from kring.research.summary import ALL, INBOX, area_of

    if not isinstance(user, User) or not user.is_active:
        return []
    if user.is_researcher or user.is_administrator:
        return [ALL]
    if user.is_regional_manager:
        areas = [area_of(pk) for pk in managed_region_ids(user)]
        return [*areas, INBOX] if user.sees_national_inbox else areas
    return []


def is_national(user: User | object) -> bool:
    return isinstance(user, User) and (user.is_researcher or user.is_administrator)


def may_export(user: User | object) -> bool:
    return isinstance(user, User) and user.is_active and user.is_researcher


def financiers_for(user: User | object) -> QuerySet[Organisation]:
    """The financiers of the cases in the user's scope: those with figures in the summary of
    the user's areas (brought up to date first), so that the cost does not grow with the
    number of cases. Equal to the organisations with a ``Funding`` of a case in
    :func:`research_cases`."""
    from kring.research import summary

    return Organisation.objects.filter(
        pk__in=summary.financier_buckets(research_areas(user)).values("financier_id")
    ).order_by("name")


def export_files_for(user: User | object) -> QuerySet[ExportFile]:
    """The export files a researcher asked for: nobody sees another's."""
    if not isinstance(user, User) or not may_export(user):
        return ExportFile.objects.none()
    return ExportFile.objects.filter(requested_by=user)
