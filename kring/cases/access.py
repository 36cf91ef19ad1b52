"""The one way views reach cases: every query is scoped to what the user's roles allow.

- A regional manager sees the cases of their regions (and the national inbox if they hold it).
- A coordinator sees the cases they are asked for or working on, until the handover after
  aftercare ends their role.
- A researcher and an administrator see no case content through these helpers.

Anything outside the scope is a 404, never a 403: the URL does not reveal that a case exists.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from kring.accounts.models import MANAGED_REGIONS, CoordinatorProfile, Region, User, ids_of
from kring.cases.models import ACTIVE_ASSIGNMENT_STATES, Assignment, Case
from kring.core.prepared import SQL, Prepared
from kring.messaging.models import OutboxMessage


def refused(request: HttpRequest, reference: str) -> Http404:
    """Log a refused look at an existing case (a failed authorisation); return the 404."""
    if Case.objects.filter(reference=reference).exists():
        from kring.audit.log import record

        record(
            request,
            action="denied",
            object_type="case",
            case_reference=reference[:20],
            outcome="denied",
        )
    return Http404()


# On every staff page of a manager: its SQL written once per process (kring.core.prepared).
_MANAGED = Prepared(
    lambda user_id: (
        Region.objects.filter(managers=user_id).order_by("pk").values_list("pk", flat=True)
    ),
    int,
)


def managed_region_ids(user: User) -> list[int]:
    """The ids of the regions ``user`` manages, read once per user object (per request): with
    the user where it was read by ``User.objects.get(pk=…)``, as every staff request reads
    its user (kring.accounts.models), or else by a query of their own."""
    cached: list[int] | None = getattr(user, "_kring_managed_region_ids", None)
    if cached is None:
        read: str | None = getattr(user, MANAGED_REGIONS, None)
        cached = _MANAGED(user.pk) if read is None else ids_of(read)
        user._kring_managed_region_ids = cached  # type: ignore[attr-defined]
    return cached


def _manager_scope(user: User) -> Q | None:
    """The manager's regions as a literal list of ids (one small query), so that an index on
    the region serves the scope; ``region_id IN (subquery) OR region_id IS NULL`` is one no
    index can serve."""
    if not user.is_regional_manager:
        return None
    scope = Q(region_id__in=managed_region_ids(user))
    if user.sees_national_inbox:
        scope |= Q(region__isnull=True)
    return scope


def _coordinator_scope(user: User) -> Q | None:
    if not user.is_coordinator:
        return None
    return Q(
        pk__among=Assignment.objects.filter(
            coordinator=user,
            state__in=ACTIVE_ASSIGNMENT_STATES,
        ).values("case_id")
    )


def _scoped(*scopes: Q | None) -> QuerySet[Case]:
    present = [scope for scope in scopes if scope is not None]
    if not present:
        return Case.objects.none()
    combined = present[0]
    for scope in present[1:]:
        combined |= scope
    return Case.objects.filter(combined)


def managed_cases(user: User) -> QuerySet[Case]:
    """The cases of the regions ``user`` manages."""
    return _scoped(_manager_scope(user)) if user.is_active else Case.objects.none()


def coordinated_cases(user: User) -> QuerySet[Case]:
    """The cases ``user`` is asked for or coordinating, until their role ends.

    On SQLite through a join from the coordinator's assignments (one active assignment per
    case and coordinator at most, so no case comes twice): SQLite, which keeps no statistics,
    planned the start page's lists from every case in a status and probed the coordinator's
    few ids per row (4,000-7,000 cases at 100,000; 14.8 -> 17.7 ms for the coordinator's start
    page from 1,000 to 100,000 cases, 14.4 -> 15.5 ms with the join; issue 18). PostgreSQL
    plans the subquery of ``_coordinator_scope`` well and the join a millisecond slower per
    list."""
    if not user.is_active or not user.is_coordinator:
        return Case.objects.none()
    if connection.vendor != "sqlite":
        return _scoped(_coordinator_scope(user))
    return Case.objects.filter(
        assignments__coordinator=user,
        assignments__state__in=ACTIVE_ASSIGNMENT_STATES,
    )


def _accepted_scope(user: User) -> Q | None:
    if not user.is_coordinator:
        return None
    return Q(
        pk__among=Assignment.objects.filter(
            coordinator=user, state=Assignment.State.ACCEPTED
        ).values("case_id")
    )


def cases_with_people(user: User | object) -> QuerySet[Case]:
    """The cases whose people ``user`` may see and work with: the manager's regions, and the
    cases a coordinator has accepted (not those they are only asked for)."""
    if not isinstance(user, User) or not user.is_active:
        return Case.objects.none()
    return _scoped(_manager_scope(user), _accepted_scope(user))


def _case_in(scope: QuerySet[Case], request: HttpRequest, reference: str) -> Case:
    """The case with this reference within ``scope``; a logged refusal (404) otherwise."""
    case = scope.select_related("region", "municipality").filter(reference=reference).first()
    if case is None:
        raise refused(request, reference)
    return case


def get_people_case(request: HttpRequest, reference: str) -> Case:
    """The case with this reference if the user may work with its people; 404 otherwise."""
    return _case_in(cases_with_people(request.user), request, reference)


def cases_for(user: User | object) -> QuerySet[Case]:
    """Every case ``user`` may open."""
    if not isinstance(user, User) or not user.is_active:
        return Case.objects.none()
    return _scoped(*case_partitions(user))


def case_partitions(user: User | object) -> list[Q]:
    """:func:`cases_for` as the pieces it is the union of, no two of which share a case: one
    per region ``user`` manages, the national inbox if they hold it, and the cases they
    coordinate outside those. The case list seeks each piece along its own index and merges
    them (issue 18): a scope written as one ``region IN (…) OR region IS NULL`` made SQLite
    collect and sort every case of the regions older than the page's cursor, so a deep page
    cost more the more cases there were. Pieces that share no case are counted by putting
    them one after the other (``UNION ALL``), which stops at the count's cap, instead of
    merging every piece's first thousand cases to drop the doubles."""
    if not isinstance(user, User) or not user.is_active:
        return []
    pieces: list[Q] = []
    inbox = user.is_regional_manager and user.sees_national_inbox
    regions = managed_region_ids(user) if user.is_regional_manager else []
    pieces += [Q(region_id=region) for region in regions]
    if inbox:
        pieces.append(Q(region__isnull=True))
    coordinator = _coordinator_scope(user)
    if coordinator is not None:
        # Less the cases of the pieces above, which hold them already.
        if regions:
            coordinator &= ~Q(region_id__in=regions)
        if inbox:
            coordinator &= Q(region__isnull=False)
        pieces.append(coordinator)
    return pieces


def scope_key(user: User | object) -> tuple[object, ...] | None:
    """All that :func:`cases_for` and :func:`case_partitions` make ``user``'s scope of: equal
    keys, the same scope and pieces, written as the same SQL (kring.cases.paging keeps it per
    key). None where the scope is empty."""
    if not isinstance(user, User) or not user.is_active:
        return None
    regions = tuple(managed_region_ids(user)) if user.is_regional_manager else ()
    return (
        user.pk,
        user.is_regional_manager,
        user.is_regional_manager and user.sees_national_inbox,
        user.is_coordinator,
        regions,
    )


def filter_coordinators(user: User | object) -> QuerySet[User]:
    """The coordinators the case list's filter offers ``user``: for a regional manager, those
    who work in a region they manage, by name; nobody for anyone else (a coordinator's list
    holds their own cases only). Offering every coordinator in the country named people the
    user has no business with, and grew with the organisation (480 at 100,000 cases; 196 in
    the two regions of the demo's manager)."""
    if not isinstance(user, User) or not user.is_active or not user.is_regional_manager:
        return User.objects.none()
    return _coordinators_in(managed_region_ids(user))


def _coordinators_in(regions: Any) -> QuerySet[User]:
    # By the regions' ids, which the list has read already: by the manager, PostgreSQL joined
    # five tables for it (0.73 ms planned and run, against 0.47 ms; 196 coordinators).
    return User.objects.filter(
        is_coordinator=True,
        pk__in=CoordinatorProfile.objects.filter(regions__in=regions).values("user_id"),
    ).order_by("full_name", "pk")


# The case list's filter on every page: its SQL written once per process (kring.core.prepared).
_FILTER_COORDINATORS = Prepared(
    lambda regions: _coordinators_in(regions).values_list("pk", "full_name", "email"), SQL
)


def filter_coordinator_rows(user: User) -> list[tuple[int, str, str]]:
    """:func:`filter_coordinators` as (id, name, email) rows."""
    if not user.is_active or not user.is_regional_manager:
        return []
    return _FILTER_COORDINATORS(SQL.values(managed_region_ids(user)))


def manages(user: User, case: Case) -> bool:
    """Whether ``case`` lies in a region ``user`` manages (or the national inbox they hold)."""
    return managed_cases(user).filter(pk=case.pk).exists()


def coordinates(user: User, case: Case, *, include_offered: bool = False) -> bool:
    """Whether ``user`` has accepted ``case`` — or, with ``include_offered``, is asked for it."""
    states = [Assignment.State.ACCEPTED]
    if include_offered:
        states.append(Assignment.State.OFFERED)
    return case.assignments.filter(coordinator=user, state__in=states).exists()


def may_see_people(user: User, case: Case) -> bool:
    """Whether ``user`` may see the people in a case they can open. A coordinator who is only
    asked sees the summary; the names come once they have accepted."""
    return manages(user, case) or coordinates(user, case)


def get_case_for_user(request: HttpRequest, reference: str) -> Case:
    """The case with this reference if the signed-in user may see it; 404 otherwise."""
    return _case_in(cases_for(request.user), request, reference)


def get_managed_case(request: HttpRequest, reference: str) -> Case:
    """The case with this reference if the signed-in user manages its region; 404 otherwise."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return _case_in(managed_cases(user), request, reference)


# --- Messages ------------------------------------------------------------------------
# An administrator sees every message (the outbox, or the demo mailbox). A regional manager and
# a coordinator see the messages sent to the participants of the cases whose people they may
# see (``cases_with_people``): what a participant received, exactly. Nothing else — not the
# mail between staff about a case, nor another case's. Anything outside the scope is a 404.


def messages_for(user: User | object) -> QuerySet[OutboxMessage]:
    if not isinstance(user, User) or not user.is_active:
        return OutboxMessage.objects.none()
    if user.is_administrator:
        return OutboxMessage.objects.all()
    return OutboxMessage.objects.filter(participant__isnull=False, case__in=cases_with_people(user))


def sees_all_messages(user: User | object) -> bool:
    return isinstance(user, User) and user.is_active and user.is_administrator
