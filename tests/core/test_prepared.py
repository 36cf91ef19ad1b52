"""Queries whose SQL is written once per process (kring.core.prepared, issue 18): every prepared
query of Kring gives what the ORM gives for the same values, on both databases, and the helper
refuses what it cannot keep (a time read while building, a value used twice, annotations)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kring.accounts import middleware, sessions
from kring.accounts import models as accounts_models
from kring.accounts.models import Region
from kring.cases import access, contact, lifecycle, paging, tally
from kring.cases import forms as case_forms
from kring.cases.models import Assignment, Case, ConferenceQuestion
from kring.circle import links
from kring.circle.models import Participant, PersonalLink, hash_token
from kring.core import prepared
from kring.core.prepared import SQL, Prepared
from kring.meetings.models import DateAnswer, DateOption
from kring.portal import views as portal_views
from tests.factories import add_meeting, add_person, at


def _state(value: Any) -> Any:
    """An instance as its fields and its select_related objects, recursively."""
    if hasattr(value, "_meta"):
        # With each value's type: 1 == True, and a boolean left as SQLite's 1 would pass.
        fields = {
            field.attname: (type(getattr(value, field.attname)), getattr(value, field.attname))
            for field in value._meta.concrete_fields
        }
        related = {
            name: _state(cached) for name, cached in sorted(value._state.fields_cache.items())
        }
        # And what else it holds: an annotation's value.
        extra = {
            name: (type(held), held)
            for name, held in vars(value).items()
            if name != "_state" and name not in fields
        }
        return (type(value), fields, related, extra, value._state.db, value._state.adding)
    return (type(value), value)


def _same(query: Prepared[Any], *values: Any) -> list[Any]:
    got = query(*values)
    assert [_state(item) for item in got] == [_state(item) for item in query.by_orm(*values)]
    return got


@pytest.fixture(autouse=True)
def _only_kring_queries():
    """The tests' own prepared queries leave the list of Kring's."""
    before = list(prepared.EVERY)
    yield
    prepared.EVERY[:] = before


@pytest.fixture
def circle(world):
    case = world.case
    anna = add_person(case, "Anna de Wit", email="anna@voorbeeld.test")
    add_person(case, "Bram Kok", suggested_by=anna)
    add_person(case, "Aart Kok", suggested_by=anna)
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?", position=2)
    ConferenceQuestion.objects.create(case=case, text="Wie helpt mee?", position=1)
    add_meeting(case, at("2027-01-20", 19), venue_name="Buurthuis")
    return anna


def test_every_prepared_query_of_kring_is_tested_here():
    tested = {
        links._BY_TOKEN,
        contact._ACCEPTED,
        portal_views._MEETING,
        portal_views._SUGGESTED,
        portal_views._QUESTIONS,
        portal_views._OPTIONS,
        middleware._SECOND_FACTOR,
        access._MANAGED,
        case_forms._REGIONS,
        access._FILTER_COORDINATORS,
        paging._PAGE[False],
        paging._PAGE[True],
        lifecycle._COORDINATOR_NAMES,
        sessions._BY_KEY,
        accounts_models._USER_BY_PK,
        tally._CHANGES,
    }
    assert set(prepared.EVERY) - tested == set(), "a prepared query without a test here"


def test_the_own_pages_link_is_found_with_its_participant_case_and_region(world, circle):
    token = links.issue(circle)
    found = _same(links._BY_TOKEN, hash_token(token), PersonalLink.Purpose.PORTAL.value)
    assert [link.participant.name for link in found] == ["Anna de Wit"]
    link = found[0]
    # Joined, not read again: the participant, the case and its region come with the link.
    with CaptureQueriesContext(connection) as queries:
        assert link.participant.case.region.name == "West"
        assert link.participant.case.reference == world.case.reference
    assert len(queries) == 0
    assert timezone.is_aware(link.expires_at) and link.revoked_at is None
    assert links.resolve(token) == link
    # Another purpose, an unknown token: nothing.
    assert _same(links._BY_TOKEN, hash_token(token), "andere") == []
    assert links.resolve("bestaat-niet") is None


def test_a_case_without_a_region_comes_with_none(world, circle):
    Case.objects.filter(pk=world.case.pk).update(region=None)
    token = links.issue(circle)
    (link,) = _same(links._BY_TOKEN, hash_token(token), PersonalLink.Purpose.PORTAL.value)
    with CaptureQueriesContext(connection) as queries:
        assert link.participant.case.region is None
    assert len(queries) == 0


def test_the_own_pages_other_queries_give_what_the_orm_gives(world, circle):
    case = world.case
    assert [q.text for q in _same(portal_views._QUESTIONS, case.pk)] == [
        "Wie helpt mee?",
        "Hoe kan de overlast stoppen?",
    ]
    assert _same(portal_views._SUGGESTED, circle.pk) == ["Aart Kok", "Bram Kok"]
    (meeting,) = _same(portal_views._MEETING, case.pk)
    assert meeting.venue_name == "Buurthuis" and timezone.is_aware(meeting.starts_at)
    coordinators = _same(contact._ACCEPTED, case.pk)
    assert [name for _pk, name, _phone in coordinators] == [world.coordinator.full_name]
    # The dates with this person's answer to each (None where they gave none).
    first = DateOption.objects.create(
        case=case, starts_at=at("2027-01-10", 19), ends_at=at("2027-01-10", 21)
    )
    second = DateOption.objects.create(
        case=case, starts_at=at("2027-01-03", 19), ends_at=at("2027-01-03", 21)
    )
    DateAnswer.objects.create(option=first, participant=circle, answer=DateAnswer.Answer.YES)
    options = _same(portal_views._OPTIONS, case.pk, circle.pk)
    assert [(option.pk, option.given) for option in options] == [
        (second.pk, None),
        (first.pk, DateAnswer.Answer.YES),
    ]
    other = Participant.objects.get(name="Bram Kok")
    assert [o.given for o in _same(portal_views._OPTIONS, case.pk, other.pk)] == [None, None]
    # Another case: nothing of this one.
    assert _same(portal_views._QUESTIONS, case.pk + 1000) == []
    assert _same(contact._ACCEPTED, case.pk + 1000) == []


def test_the_staff_pages_queries_give_what_the_orm_gives(world):
    from allauth.mfa.models import Authenticator

    # The test users have a TOTP authenticator each (tests/factories.py); a recovery code is no
    # second factor.
    assert Authenticator.objects.filter(user=world.manager).exists()
    assert len(_same(middleware._SECOND_FACTOR, world.manager.pk)) == 1
    Authenticator.objects.filter(user=world.manager).update(type=Authenticator.Type.RECOVERY_CODES)
    assert _same(middleware._SECOND_FACTOR, world.manager.pk) == []
    assert middleware.has_second_factor(world.manager) is False
    assert middleware.has_second_factor(world.other_manager) is True
    world.manager.managed_regions.add(world.zuid)
    assert _same(access._MANAGED, world.manager.pk) == sorted([world.west.pk, world.zuid.pk])
    assert _same(access._MANAGED, world.coordinator.pk) == []
    assert [name for _pk, name in _same(case_forms._REGIONS)] == ["West", "Zuid"]


def test_the_case_lists_coordinators_are_the_filters_coordinators(world):
    """By the manager's regions, the coordinators filter_coordinators() gives: those of a
    region they manage, in name order, each once."""
    from kring.cases.access import filter_coordinators

    def expected(user):
        fresh = type(user).objects.get(pk=user.pk)  # its managed regions are read once
        return list(filter_coordinators(fresh).values_list("pk", "full_name", "email"))

    def regions(user):
        return SQL.values(list(user.managed_regions.values_list("pk", flat=True)))

    world.other_coordinator.coordinator_profile.regions.set([world.zuid])
    world.coordinator.coordinator_profile.regions.set([world.west, world.zuid])
    for manager in (world.manager, world.other_manager):
        assert _same(access._FILTER_COORDINATORS, regions(manager)) == expected(manager)
        assert access.filter_coordinator_rows(manager) == expected(manager)
    assert [row[1] for row in _same(access._FILTER_COORDINATORS, regions(world.manager))] == [
        world.coordinator.full_name
    ]
    world.manager.managed_regions.add(world.zuid)
    both = _same(access._FILTER_COORDINATORS, regions(world.manager))
    assert both == expected(world.manager) and len(both) == 2
    assert _same(access._FILTER_COORDINATORS, regions(world.researcher)) == []
    assert access.filter_coordinator_rows(world.researcher) == []


def test_a_managers_count_is_read_from_the_changes_of_their_areas(world):
    """The start page's figures and the case list's count of a manager's cases: the changes of
    the areas asked, by status, as the ORM gives them (a region without changes gives none)."""
    from tests.factories import CaseFactory

    CaseFactory(region=None, municipality=None)
    CaseFactory(region=world.zuid, status="intake")
    areas = SQL.values([world.west.pk, world.zuid.pk, tally.INBOX])
    rows = _same(tally._CHANGES, areas)
    assert sum(n for _status, n in rows) == Case.objects.count() == 3
    assert sum(n for status, n in rows if status == "intake") == 1
    assert _same(tally._CHANGES, SQL.values([world.west.pk + 1000])) == []
    assert _same(tally._CHANGES, SQL.values([])) == []


def test_the_case_lists_page_is_read_by_its_keys_query_with_region_and_municipality(world):
    """The case list's page: the cases a query of keys gives (a subquery with parameters of
    its own), each with its region and municipality (None for the national inbox), newest
    first or oldest first; an empty list of keys gives no case."""
    from tests.factories import CaseFactory

    CaseFactory(region=None, municipality=None)
    CaseFactory(region=world.west)
    newest, oldest = paging._PAGE[False], paging._PAGE[True]
    keys = SQL('SELECT "id" FROM "cases_case" WHERE "status" != %s AND "id" > %s', ("x", 0))
    found = _same(newest, keys)
    assert len(found) == Case.objects.count() >= 3
    assert [case.pk for case in _same(oldest, keys)] == [case.pk for case in reversed(found)]
    assert any(case.region is None for case in found)
    picked = sorted(case.pk for case in found)[:2]
    assert {case.pk for case in _same(newest, SQL.values(picked))} == set(picked)
    assert _same(newest, SQL.values([])) == []


def test_an_sql_parameter_takes_its_place_among_the_others(world, circle):
    """An SQL parameter's own parameters go where its stand-in's one was, before and after
    other parameters; the same query runs with pieces of SQL of any number of parameters."""
    query = Prepared(
        lambda name, keys, case_id: Participant.objects.filter(
            name=name, pk__in=keys, case_id=case_id
        ).order_by("name"),
        str,
        SQL,
        int,
    )
    case = world.case
    everyone = sorted(Participant.objects.filter(case=case).values_list("pk", flat=True))
    kok = [p.name for p in _same(query, "Bram Kok", SQL.values(everyone), case.pk)]
    assert kok == ["Bram Kok"]
    by_name = SQL(
        'SELECT "id" FROM "circle_participant" WHERE "name" LIKE %s AND "case_id" = %s',
        ("%Kok", case.pk),
    )
    assert [p.name for p in _same(query, "Aart Kok", by_name, case.pk)] == ["Aart Kok"]
    assert _same(query, "Anna de Wit", by_name, case.pk) == []
    assert _same(query, "Aart Kok", by_name, case.pk + 1000) == []
    twice = Prepared(
        lambda keys: Participant.objects.filter(pk__in=keys, suggested_by__in=keys), SQL
    )
    with pytest.raises(ImproperlyConfigured, match="once"):
        twice(SQL.values([1]))


def test_a_session_is_read_by_its_key_until_it_expires(world, client):
    """Kring's session store: what Django's database store reads (a session by its key, not past
    its expiry), and a signed-in page reached with it; an expired or unknown key is no session
    and is dropped, so the next page asks to sign in."""
    from django.contrib.sessions.models import Session

    assert settings.SESSION_ENGINE == "kring.accounts.sessions"
    client.force_login(world.manager)
    key = client.session.session_key
    row = Session.objects.get(session_key=key)
    assert [_state(found) for found in _same(sessions._BY_KEY, key)] == [_state(row)]
    store = sessions.SessionStore(key)
    assert store.load()["_auth_user_id"] == str(world.manager.pk)
    assert client.get("/zaken/").status_code == 200
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = sessions.SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    assert client.get("/zaken/").status_code == 302
    unknown = sessions.SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_a_user_is_got_by_its_key_as_the_orm_gets_it(world):
    """``User.objects.get(pk=…)``, as Django's backend finds the signed-in user: the same user
    as the ORM's, a missing one DoesNotExist; any other lookup is the ORM's own."""
    from allauth.mfa.models import Authenticator

    from kring.accounts.models import User

    got = User.objects.get(pk=world.manager.pk)
    # With whether the user holds a second factor, which the staff pages ask on every request.
    expected = (
        User.objects.filter(pk=world.manager.pk)  # type: ignore[no-redef]
        .annotate(
            holds_second_factor=Exists(
                Authenticator.objects.filter(
                    user=OuterRef("pk"),
                    type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
                )
            ),
            managed_region_list=Value(str(world.west.pk)),
        )
        .get()
    )
    assert _state(got) == _state(expected)
    assert got.holds_second_factor is True
    with CaptureQueriesContext(connection) as queries:
        assert middleware.has_second_factor(got) is True
    assert len(queries) == 0
    assert _same(accounts_models._USER_BY_PK, world.manager.pk) == [got]
    # A recovery code is no second factor; another user's factor is not this one's.
    Authenticator.objects.filter(user=world.manager).update(type=Authenticator.Type.RECOVERY_CODES)
    assert User.objects.get(pk=world.manager.pk).holds_second_factor is False
    assert middleware.has_second_factor(User.objects.get(pk=world.manager.pk)) is False
    assert User.objects.get(pk=world.other_manager.pk).holds_second_factor is True
    # A user read another way is asked apart.
    plain = User.objects.filter(pk=world.manager.pk).get()
    with CaptureQueriesContext(connection) as queries:
        assert middleware.has_second_factor(plain) is False
    assert len(queries) == 1
    Authenticator.objects.filter(user=world.manager).update(type=Authenticator.Type.TOTP)
    # With the regions the user manages: the same as their own query, none for a coordinator.
    world.manager.managed_regions.add(world.zuid)
    got = User.objects.get(pk=world.manager.pk)
    with CaptureQueriesContext(connection) as queries:
        assert access.managed_region_ids(got) == sorted([world.west.pk, world.zuid.pk])
    assert len(queries) == 0
    assert access.managed_region_ids(got) == _same(access._MANAGED, world.manager.pk)
    assert User.objects.get(pk=world.coordinator.pk).managed_region_list == ""
    assert access.managed_region_ids(User.objects.get(pk=world.coordinator.pk)) == []
    world.manager.managed_regions.remove(world.zuid)
    got = User.objects.get(pk=world.manager.pk)
    assert got.managed_region_list == str(world.west.pk)
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=world.manager.pk + 1000)
    with CaptureQueriesContext(connection) as queries:
        assert User.objects.get(email=world.manager.email) == got
        assert User.objects.get(pk=str(world.manager.pk)) == got
    assert len(queries) == 2 and all("LIMIT 21" in q["sql"] for q in queries.captured_queries)
    # A related manager keeps to its relation: Hans manages Zuid, not West.
    assert world.west.managers.get(pk=world.manager.pk) == got
    with pytest.raises(User.DoesNotExist):
        world.west.managers.get(pk=world.other_manager.pk)


def test_the_sql_is_written_once_and_runs_as_one_counted_query(world, circle, monkeypatch):
    query = Prepared(
        lambda case_id: Participant.objects.filter(case_id=case_id).order_by("name"), int
    )
    written = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        written.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            people = query(world.case.pk)
        assert len(queries) == 1
        assert [p.name for p in people][:2] == ["Aart Kok", "Anna de Wit"]
    assert written == [Participant, Participant]  # once, and once more to compare


def test_it_runs_inside_a_transaction_and_sees_its_writes(world, circle):
    query = Prepared(lambda case_id: Participant.objects.filter(case_id=case_id), int)
    with transaction.atomic():
        add_person(world.case, "Nieuw Iemand")
        assert "Nieuw Iemand" in [p.name for p in query(world.case.pk)]


@pytest.mark.parametrize(
    "build, types, problem",
    [
        # A time read while building would be kept from the first call on, wherever it is.
        (
            lambda pk: PersonalLink.objects.filter(pk=pk, expires_at__gt=timezone.now()),
            (int,),
            "fixed values",
        ),
        (
            lambda pk: PersonalLink.objects.filter(pk=pk, expires_at__gt=Value(timezone.now())),
            (int,),
            "fixed values",
        ),
        (
            lambda name: Participant.objects.filter(name=name).exclude(
                links__expires_at__lt=timezone.now()
            ),
            (str,),
            "fixed values",
        ),
        (
            lambda name: Participant.objects.filter(
                name=name,
                pk__in=PersonalLink.objects.filter(expires_at__gt=timezone.now()).values(
                    "participant_id"
                ),
            ),
            (str,),
            "fixed values",
        ),
        (
            lambda name: Participant.objects.filter(
                Exists(
                    PersonalLink.objects.filter(
                        participant=OuterRef("pk"), expires_at__gt=timezone.now()
                    )
                ),
                name=name,
            ),
            (str,),
            "fixed values",
        ),
        (
            lambda pk: Case.objects.filter(pk=pk).extra(
                where=["requested_at < %s"], params=[timezone.now()]
            ),
            (int,),
            "fixed values",
        ),
        (
            lambda name: (
                Participant.objects.filter(name=name) | Participant.objects.filter(email=name)
            ),
            (str,),
            "one filter",
        ),
        (lambda pk: Region.objects.filter(pk=1), (int,), "one filter"),
        (lambda pk: Case.objects.filter(pk=pk).values("reference"), (int,), "values()"),
        (
            lambda pk: (
                Case.objects.filter(pk=pk)
                .annotate(people=Count("participants"))
                .values_list("people", "reference")
            ),
            (int,),
            "annotations in values_list",
        ),
        (
            lambda pk: Case.objects.filter(pk=pk).prefetch_related("participants"),
            (int,),
            "prefetch",
        ),
    ],
)
def test_what_cannot_be_kept_is_refused_at_the_first_call(world, build, types, problem):
    query = Prepared(build, *types)
    with pytest.raises(ImproperlyConfigured, match=problem):
        query(*(1 if kind is int else "x" for kind in types))


def test_a_small_integer_column_is_refused_where_it_cannot_hold_the_stand_in(world, circle):
    """PostgreSQL's small integers cannot hold the stand-in, and Django leaves the condition
    out: refused there, so CI's PostgreSQL run stops such a query; SQLite's integers hold it."""
    query = Prepared(
        lambda position: ConferenceQuestion.objects.filter(position=position).order_by("pk"), int
    )
    if connection.vendor == "postgresql":
        with pytest.raises(ImproperlyConfigured, match="dropped"):
            query(1)
    else:
        assert [q.text for q in _same(query, 1)] == ["Wie helpt mee?"]


def test_a_related_managers_queryset_is_refused(world):
    query = Prepared(lambda text: world.case.questions.filter(text=text), str)
    with pytest.raises(ImproperlyConfigured, match="related manager"):
        query("x")


def test_values_of_the_wrong_type_or_number_are_refused():
    with pytest.raises(ImproperlyConfigured):
        Prepared(lambda a, b: Region.objects.filter(pk=a), int)
    with pytest.raises(ImproperlyConfigured):
        Prepared(lambda a: Region.objects.filter(pk=a), dt.date)
    query = Prepared(lambda pk: Region.objects.filter(pk=pk), int)
    with pytest.raises(TypeError):
        query("1")
    with pytest.raises(TypeError):
        query(True)
    with pytest.raises(TypeError):
        query()


@pytest.mark.django_db(transaction=True)
def test_threads_that_start_at_once_share_one_written_query(world):
    """Several server threads may run a prepared query for the first time together."""
    query = Prepared(lambda slug: Region.objects.filter(slug=slug), str)
    found: list[list[str]] = []
    failures: list[BaseException] = []
    together = threading.Barrier(6)
    written = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        if self.query.model is Region:
            written.append(threading.get_ident())
        return original(self, *args, **kwargs)

    def run() -> None:
        try:
            together.wait()
            found.append([region.name for region in query("west")])
        except BaseException as failure:
            failures.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    with mock.patch.object(SQLCompiler, "as_sql", counting):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert found == [["West"]] * 6
    # Written once (and once more to see that it comes out the same), by one thread.
    assert len(written) == 2 and len(set(written)) == 1


def test_the_assignments_state_is_part_of_the_query(world):
    Assignment.objects.filter(case=world.case).update(state=Assignment.State.DECLINED)
    assert _same(contact._ACCEPTED, world.case.pk) == []


def test_a_lists_coordinator_names_are_those_asked_or_working_in_the_order_asked(world):
    from tests.factories import CaseFactory

    other = CaseFactory(region=world.west)
    for coordinator, state in (
        (world.other_coordinator, Assignment.State.OFFERED),
        (world.coordinator, Assignment.State.ACCEPTED),
        (world.manager, Assignment.State.DECLINED),
    ):
        Assignment.objects.create(case=other, coordinator=coordinator, state=state)
    keys = SQL.values([world.case.pk, other.pk])
    found = _same(lifecycle._COORDINATOR_NAMES, keys)
    assert [name for case_id, name in found if case_id == other.pk] == [
        world.other_coordinator.full_name,
        world.coordinator.full_name,
    ]
    cases = [Case.objects.get(pk=world.case.pk), Case.objects.get(pk=other.pk)]
    lifecycle.attach_coordinator_names(cases)
    attached = cases[1].coordinator_names  # type: ignore[attr-defined]
    assert attached == [name for case_id, name in found if case_id == other.pk]
    assert _same(lifecycle._COORDINATOR_NAMES, SQL.values([other.pk + 1000])) == []


def _prepared_statements(connection: Any, text: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"]
        )
        return int(cursor.fetchone()[0])


def test_postgresql_keeps_only_the_fixed_shape_queries_planned(world):
    """On PostgreSQL a prepared query of a fixed shape stays planned on its connection from
    its first run, with the same rows each time; the ORM's own queries, and a prepared query
    given a subquery (a search's plan depends on its term), are planned for their values each
    time, unless the caller vouches for the subquery's plan."""
    from kring.accounts.models import Region

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite plans in the process)")
    by_name = Prepared(lambda name: Region.objects.filter(name=name).values_list("pk"), str)
    assert [by_name("West") for _ in range(3)] == [[(world.west.pk,)]] * 3
    if not settings.KRING_DB_PREPARED:
        # Values bound in the client (KRING_DB_PREPARED=false, a pooler in transaction mode,
        # as .ci/run tests it): nothing is kept on the connection.
        assert _prepared_statements(connection, "") == 0
        return
    assert _prepared_statements(connection, '"accounts_region"."name" = $1') == 1
    for _ in range(8):
        assert list(Region.objects.filter(name__startswith="We").values_list("name")) == [("West",)]
    assert _prepared_statements(connection, "LIKE") == 0
    within = Prepared(lambda keys: Region.objects.filter(pk__in=keys).values_list("name"), SQL)
    names = SQL('SELECT "id" FROM "accounts_region" WHERE "name" = %s', ("West",))
    for _ in range(8):
        assert within(names) == [("West",)]
    assert _prepared_statements(connection, 'WHERE "name" = $1') == 0
    vouched = SQL('SELECT "id" FROM "accounts_region" WHERE "name" <> %s', ("Zuid",), planned=True)
    assert within(vouched) == [("West",)]
    assert _prepared_statements(connection, 'WHERE "name" <> $1') == 1
    assert within(SQL.values([world.west.pk])) == [("West",)]
    assert _prepared_statements(connection, '"accounts_region"."id" IN ($1)') == 1


@pytest.mark.django_db(transaction=True)
def test_a_statement_kept_from_before_a_migration_closes_its_connection():
    """A migration that lengthens a column a kept statement returns makes PostgreSQL refuse
    that statement ("cached plan must not change result type") on that connection: the
    request fails once, its connection is closed after it, and the next one prepares anew."""
    from django.db import NotSupportedError, close_old_connections

    from kring.accounts.models import Region

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite plans in the process)")
    Region.objects.create(name="Kept", slug="kept")
    by_name = Prepared(lambda name: Region.objects.filter(name=name).values_list("name"), str)
    assert by_name("Kept") == [("Kept",)]
    table = '"accounts_region" ALTER COLUMN "name" TYPE varchar'
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table}(250)")
    try:
        if not settings.KRING_DB_PREPARED:  # values bound in the client: nothing was kept
            assert by_name("Kept") == [("Kept",)]
            return
        with pytest.raises(NotSupportedError):
            by_name("Kept")
        assert connection.close_at == 0
        close_old_connections()  # as at the end of a request or a worker's job
        assert connection.connection is None
        assert by_name("Kept") == [("Kept",)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}(80)")
        connection.close()
