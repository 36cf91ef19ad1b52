"""The case list at scale (issue 18): seek paging, whose deep pages cost what the first does,
and search through an index (trigram on PostgreSQL, FTS5 on SQLite), scoped as before."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import Municipality
from kring.cases import paging, tally
from kring.cases.access import case_partitions, cases_for, managed_cases
from kring.cases.models import Assignment, Case, StatusCount
from kring.cases.search import FREQUENT
from tests.factories import CaseFactory, CoordinatorProfileFactory, RegionFactory

pytestmark = pytest.mark.django_db
ROW = re.compile(r'scope="row"><a class="utrecht-link" href="[^"]+">([^<]+)</a>')
LINK = re.compile(r'rel="(next|prev)" href="\?([^"]+)"')


def rows(response) -> list[str]:
    return ROW.findall(response.text)


def links(response) -> dict[str, str]:
    return {rel: query.replace("&amp;", "&") for rel, query in LINK.findall(response.text)}


@pytest.fixture
def many(world, settings):
    """23 cases in West besides world.case, some requested at the same moment (the id
    breaks the tie)."""
    settings.KRING_CASE_PAGE_SIZE = 5
    moment = timezone.now() - dt.timedelta(days=3)
    for i in range(23):
        CaseFactory(
            region=world.west,
            requested_at=moment if i % 4 == 0 else moment - dt.timedelta(hours=i),
            place=f"Buurthuis {i}",
        )
    return world


def test_next_links_walk_every_case_once_in_order_and_prev_links_walk_back(many, client):
    client.force_login(many.manager)
    expected = list(
        managed_cases(many.manager)
        .order_by("-requested_at", "-pk")
        .values_list("reference", flat=True)
    )
    assert len(expected) == 24
    url = reverse("case_list")
    response = client.get(url)
    pages = [rows(response)]
    assert "prev" not in links(response)
    while "next" in links(response):
        response = client.get(f"{url}?{links(response)['next']}")
        pages.append(rows(response))
    assert [reference for page in pages for reference in page] == expected
    assert [len(page) for page in pages] == [5, 5, 5, 5, 4]
    back = []
    while "prev" in links(response):
        response = client.get(f"{url}?{links(response)['prev']}")
        back.append(rows(response))
    assert back == pages[-2::-1]
    assert response.context["page"].paginator.count == 24


def _walk(client, url: str, query: str = "") -> tuple[list[list[str]], list[list[str]]]:
    response = client.get(f"{url}?{query}" if query else url)
    pages = [rows(response)]
    while "next" in links(response):
        response = client.get(f"{url}?{links(response)['next']}")
        pages.append(rows(response))
    back = []
    while "prev" in links(response):
        response = client.get(f"{url}?{links(response)['prev']}")
        back.append(rows(response))
    return pages, back


def _four_pieces(world):
    """A manager of West and Zuid with the national inbox, who also coordinates cases in Noord
    and one in West: a scope of four overlapping pieces."""
    manager = world.manager
    manager.managed_regions.set([world.west, world.zuid])
    manager.sees_national_inbox = True
    manager.is_coordinator = True
    manager.save()
    CoordinatorProfileFactory(user=manager)
    noord = RegionFactory(name="Noord", slug="noord")
    moment = timezone.now() - dt.timedelta(days=2)
    for i in range(21):
        region = [world.west, world.zuid, None, noord, noord][i % 5]
        case = CaseFactory(region=region, requested_at=moment - dt.timedelta(hours=i % 7))
        if (region == noord and i % 2) or i in (0, 1):  # some of Noord's, one of West's too
            Assignment.objects.create(
                case=case, coordinator=manager, state=Assignment.State.ACCEPTED
            )
    manager.refresh_from_db()
    return manager


def test_a_scope_of_many_pieces_is_read_apart_and_merged_exactly(world, client, settings):
    """Two regions, the national inbox and the cases someone coordinates elsewhere: each
    piece is read along its own index and the pieces merged (issue 18). Every case of the
    scope comes once, in order, a case in two pieces once, and nothing outside it."""
    settings.KRING_CASE_PAGE_SIZE = 4
    manager = _four_pieces(world)
    assert len(case_partitions(manager)) == 4  # West, Zuid, the national inbox, coordinated
    expected = list(
        cases_for(manager).order_by("-requested_at", "-pk").values_list("reference", flat=True)
    )
    outside = set(Case.objects.values_list("reference", flat=True)) - set(expected)
    assert outside and len(expected) > 12
    client.force_login(manager)
    pages, back = _walk(client, reverse("case_list"))
    assert [reference for page in pages for reference in page] == expected
    assert all(len(page) == 4 for page in pages[:-1])
    assert back == pages[-2::-1]


@pytest.mark.django_db
def test_the_count_by_pieces_is_exact_up_to_the_cap_and_says_more_past_it(world):
    """Each piece gives at most cap + 1 cases and their union is counted up to cap + 1: the
    same as counting the whole scope up to the cap, whatever the cap, filter or overlap."""
    manager = _four_pieces(world)
    pieces = case_partitions(manager)
    for scope in (cases_for(manager), cases_for(manager).filter(region=world.west)):
        total = scope.count()
        for cap in range(0, total + 3):
            assert paging.capped_count(scope, pieces, cap) == min(total, cap + 1), (cap, total)
    with CaptureQueriesContext(connection) as queries:
        paging.capped_count(cases_for(manager), pieces)
    assert len(queries) == 1


def test_past_a_thousand_a_filtered_list_says_more_than(many, client, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    client.force_login(many.manager)
    url = reverse("case_list")
    variant = many.case.variant  # every case of the fixture's
    response = client.get(url, {"variant": variant}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["page"].more_than == 10
    assert "More than 10 cases found" in response.text
    narrowed = client.get(url, {"q": "Buurthuis 2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert narrowed.context["page"].more_than is None
    # An old link's page number counts them all, to stay in range.
    assert client.get(url, {"variant": variant, "page": 3}).context["page"].count == 24


def test_a_managers_list_is_counted_from_the_start_pages_figures(many, client, monkeypatch):
    """Whole, by status and by region, a manager's list is counted exactly at any size, from
    the counts per area and status that the start page shows (kring.cases.tally), not from the
    cases: "24 cases", where it said "more than 10"."""
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    manager = many.manager
    client.force_login(manager)
    url = reverse("case_list")
    mine = managed_cases(manager)
    for query in ({}, {"after": "1.1"}, {"status": "requested"}, {"region": many.west.pk}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query, HTTP_ACCEPT_LANGUAGE="en")
        expected = mine.filter(
            **{k: v for k, v in query.items() if k in ("status", "region")}
        ).count()
        assert response.context["page"].count == expected > 0, query
        assert response.context["page"].more_than is None
        assert f"{expected} cases found" in response.text
        # One query counts, from the figures; none counts the cases.
        sql = [q["sql"] for q in queries.captured_queries]
        assert sum("cases_statuscount" in q for q in sql) == 1
        assert not [q for q in sql if "COUNT(" in q.upper() and "cases_case" in q]
    # A region the manager does not hold: nothing (their list has no case there).
    other = client.get(url, {"region": many.zuid.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert other.context["page"].count == 0
    # The figures follow every case made, moved or deleted, however it is written.
    CaseFactory(region=many.west)
    Case.objects.filter(pk=many.case.pk).update(region=many.zuid)
    Case.objects.filter(place="Buurthuis 3").delete()
    assert client.get(url).context["page"].count == mine.count() == 23
    # Past a thousand the number is written as a number of that size is, in either language.
    StatusCount.objects.create(area=many.west.pk, status="intake", n=1500)
    assert "1,523 cases found" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert "1.523 zaken gevonden" in client.get(url, HTTP_ACCEPT_LANGUAGE="nl").text


def test_a_list_the_figures_cannot_tell_is_counted_to_the_cap(many, client, monkeypatch):
    """A coordinator's list, and that of a manager who also coordinates cases in other
    regions, hold cases the counts per area do not tell apart: counted up to the cap."""
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    manager = _four_pieces(many)
    assert tally.scope_count(manager) is None
    client.force_login(manager)
    response = client.get(reverse("case_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["page"].more_than == 10
    others = Case.objects.filter(region=many.west).exclude(
        assignments__coordinator=many.coordinator
    )
    for case in others[:12]:
        Assignment.objects.create(
            case=case, coordinator=many.coordinator, state=Assignment.State.ACCEPTED
        )
    assert tally.scope_count(many.coordinator) is None
    client.force_login(many.coordinator)
    response = client.get(reverse("case_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["page"].more_than == 10


def test_a_search_is_not_counted_past_its_page(many, client):
    """A broad term is not counted (its matches would be visited to count them): the page
    says "more than 5" and pages on through every match; a narrow one is counted by its page;
    the list without a search keeps its count."""
    client.force_login(many.manager)
    url = reverse("case_list")
    with CaptureQueriesContext(connection) as searched:
        response = client.get(url, {"q": "buurthuis"}, HTTP_ACCEPT_LANGUAGE="en")
    counted = [q["sql"] for q in searched.captured_queries if "COUNT(" in q["sql"].upper()]
    # Only SQLite's count of the term's matches that picks the plan, which stops past FREQUENT.
    assert all(
        sql.startswith("SELECT COUNT(*) FROM (SELECT rowid FROM cases_case_search")
        and sql.endswith(f"LIMIT {FREQUENT + 1})")
        for sql in counted
    ), counted
    assert len(counted) == (connection.vendor == "sqlite")
    assert response.context["page"].more_than == 5
    assert "More than 5 cases found" in response.text
    seen = rows(response)
    while "next" in links(response):
        response = client.get(f"{url}?{links(response)['next']}", HTTP_ACCEPT_LANGUAGE="en")
        assert "More than 5 cases found" in response.text
        seen += rows(response)
    assert len(seen) == len(set(seen)) == 23
    narrow = client.get(url, {"q": "Buurthuis 2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert narrow.context["page"].more_than is None
    assert f"{len(rows(narrow))} case" in narrow.text
    assert client.get(url).context["page"].count == 24


def test_a_deep_page_runs_the_queries_of_the_first(many, client):
    client.force_login(many.manager)
    url = reverse("case_list")
    client.get(url)
    response = client.get(url)
    counts: list[int] = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?{links(response)['next']}" if counts else url)
        counts.append(len(queries))
    assert len(set(counts[1:])) == 1
    assert counts[0] <= counts[1]


def test_filters_survive_paging_and_old_page_numbers_still_work(many, client):
    client.force_login(many.manager)
    url = reverse("case_list")
    first = client.get(url, {"q": "buurthuis"})
    # A search is not counted past its page (23 match): "more than 5".
    assert first.context["page"].more_than == 5
    second = client.get(f"{url}?{links(first)['next']}")
    assert "q=buurthuis" in links(first)["next"]
    assert all(ref not in rows(first) for ref in rows(second))
    by_number = client.get(url, {"q": "buurthuis", "page": 2})
    assert rows(by_number) == rows(second)
    assert rows(client.get(url, {"q": "buurthuis", "page": 99})) == rows(
        client.get(url, {"q": "buurthuis", "page": 5})
    )


@pytest.mark.parametrize("cursor", ["x", "1.2.3", "99999999999999999999.1", "-1.", ""])
def test_a_bad_cursor_shows_the_first_page(many, client, cursor):
    client.force_login(many.manager)
    url = reverse("case_list")
    assert rows(client.get(url, {"after": cursor})) == rows(client.get(url))
    assert rows(client.get(url, {"before": cursor})) == rows(client.get(url))


def test_a_cursor_reads_back_exactly():
    moment = dt.datetime(2026, 3, 29, 14, 30, 0, 17, tzinfo=timezone.get_current_timezone())
    case = Case(pk=7, requested_at=moment)
    assert paging.parse(paging.cursor(case)) == (case.requested_at, 7)
    old = Case(pk=1, requested_at=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC))
    assert paging.parse(paging.cursor(old)) == (old.requested_at, 1)


def test_search_on_reference_place_and_municipality_in_scope(world, client):
    school = CaseFactory(region=world.west, place="Klas 2B Lyceum")
    elsewhere = CaseFactory(region=world.zuid, place="Klas 3C Lyceum")
    town = Municipality.objects.create(name="Zwaagdijk-Oost", region=world.west)
    in_town = CaseFactory(region=world.west, municipality=town, place="Dorpshuis")
    client.force_login(world.manager)
    url = reverse("case_list")

    def found(term: str) -> set[str]:
        return set(rows(client.get(url, {"q": term})))

    assert found("lyceum") == {school.reference}  # not the case outside the region
    assert found("LYCEUM") == found("klas 2b") == {school.reference}
    assert found(school.reference.lower()) == {school.reference}
    assert found("2B") == {school.reference}  # two characters: no trigram, a scan
    assert found("waagdijk") == {in_town.reference}  # the municipality
    assert found("50%") == found("_") == set()  # LIKE's wildcards are literal
    assert found('"') == set() and found('Klas "2B') == set()
    # The index follows changes (FTS5 triggers on SQLite).
    Case.objects.filter(pk=school.pk).update(place="Gymzaal")
    assert found("lyceum") == set() and found("gymzaal") == {school.reference}
    assert elsewhere.reference not in found("klas")


def test_search_uses_the_index(world):
    """The plan of the search names the index, not a scan of the cases' places."""
    from kring.cases.search import search

    CaseFactory(region=world.west, place="Klas 2B Lyceum")
    sql, params = search(Case.objects.order_by(), "lyceum").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
            assert "case_place_trgm" in plan and "case_reference_trgm" in plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "cases_case_search VIRTUAL TABLE INDEX" in plan, plan


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # a test's few cases: a scan is cheaper
            cursor.execute(f"EXPLAIN {sql}")
            return " ".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return " ".join(str(row[-1]) for row in cursor.fetchall())


def test_each_region_piece_is_read_along_its_index_in_the_count_and_the_page(world):
    """The count and the page wrap each piece's SQL (compiled once per page); both databases
    fold the wrapped piece into its query, so each region's piece still seeks along
    ``case_region_seek`` — on a deep page from the seek point on — instead of scanning."""
    manager = _four_pieces(world)
    scope = cases_for(manager)
    pieces = case_partitions(manager)
    first = paging.seek_page(scope, QueryDict(), 4, pieces=pieces)
    with CaptureQueriesContext(connection) as queries:
        paging.seek_page(scope, QueryDict(f"after={first.next_cursor}"), 4, pieces=pieces)
    count, page = (_plan(captured["sql"]) for captured in queries.captured_queries)
    if connection.vendor == "postgresql":
        # West and Zuid each by an index on the region (which one is the planner's choice on
        # a test's few rows: the count needs no order), never a scan of the cases.
        for plan in (count, page):
            assert len(re.findall(r"Index (?:Only )?Scan using \w+ on cases_case", plan)) >= 2
            assert len(re.findall(r"Index Cond: \(+region_id = \d+", plan)) >= 2, plan
            assert "Seq Scan on cases_case" not in plan, plan
        # On the deep page the seek point reaches each region's index too.
        seek = r"Index Cond: \(\(region_id = \d+\) AND \(requested_at <="
        assert len(re.findall(seek, page)) >= 2, page
    else:
        assert count.count("COVERING INDEX case_region_seek (region_id=?)") >= 2, count
        seek = "COVERING INDEX case_region_seek (region_id=? AND requested_at<?)"
        assert page.count(seek) >= 2, page
        assert "SCAN cases_case " not in f"{count} {page} "


def test_the_pieces_share_no_case_and_together_are_the_scope(world):
    """The count and the page put the pieces one after the other (UNION ALL): a case in two
    pieces would be counted and listed twice. The coordinated cases in the manager's own
    regions or inbox are left to those pieces."""
    manager = _four_pieces(world)
    pieces = case_partitions(manager)
    held = [set(cases_for(manager).filter(piece).values_list("pk", flat=True)) for piece in pieces]
    assert all(held), "every piece holds cases in this world"
    assert sum(len(cases) for cases in held) == len(set().union(*held))
    assert set().union(*held) == set(cases_for(manager).values_list("pk", flat=True))
    coordinated = set(
        Assignment.objects.filter(coordinator=manager).values_list("case_id", flat=True)
    )
    assert coordinated - held[-1], "some coordinated cases are in the regions' pieces"


@pytest.mark.parametrize("frequent", [0, 10_000], ids=["walked", "looked-up"])
def test_a_search_over_many_pieces_walks_every_match_of_the_scope_once(
    world, client, settings, monkeypatch, frequent
):
    """Every piece of the scope carries the search's condition (the full-text index on SQLite,
    trigrams on PostgreSQL): page after page the list shows each case of the scope that holds
    the term once, newest first, and the pages back show the same cases again — on SQLite
    along either plan (the term counted as frequent, or as rare)."""
    from kring.cases import search as searching
    from kring.cases.search import search

    monkeypatch.setattr(searching, "FREQUENT", frequent)
    settings.KRING_CASE_PAGE_SIZE = 3
    manager = _four_pieces(world)
    for number, case in enumerate(Case.objects.order_by("pk")):
        if number % 3:
            Case.objects.filter(pk=case.pk).update(place=f"Buurthuis {number}")
    expected = list(
        search(cases_for(manager), "buurthuis")
        .order_by("-requested_at", "-pk")
        .values_list("reference", flat=True)
    )
    found = set(search(Case.objects.all(), "buurthuis").values_list("reference", flat=True))
    assert len(expected) > 6 and found - set(expected), "matches inside and outside the scope"
    client.force_login(manager)
    pages, back = _walk(client, reverse("case_list"), "q=buurthuis")
    assert [reference for page in pages for reference in page] == expected
    assert back == pages[-2::-1]


@pytest.mark.parametrize(
    ("frequent", "plan"),
    [(0, "COVERING INDEX case_list_seek"), (10_000, "INTEGER PRIMARY KEY (rowid=?)")],
    ids=["walked", "looked-up"],
)
def test_a_managers_search_on_sqlite_follows_the_terms_number_of_matches(
    world, client, monkeypatch, frequent, plan
):
    """SQLite: a frequent term walks the list's index newest first, a rare one is looked up by
    its matches' ids; one query counts the matches up to FREQUENT. A coordinator's own few
    cases, a term that names a municipality and PostgreSQL are left to the planner."""
    from kring.cases import search as searching

    monkeypatch.setattr(searching, "FREQUENT", frequent)
    _four_pieces(world)
    Case.objects.filter(region=world.west).update(place="Buurthuis")
    client.force_login(world.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("case_list"), {"q": "buurthuis"})
    assert response.status_code == 200 and rows(response)
    sqls = [captured["sql"] for captured in queries.captured_queries]
    counts = [sql for sql in sqls if sql.startswith("SELECT COUNT(*) FROM (SELECT rowid FROM")]
    if connection.vendor == "postgresql":
        assert not counts and not any("INDEXED" in sql for sql in sqls)
        return
    page = next(sql for sql in sqls if "requested_at" in sql and "cases_case_search" in sql)
    assert len(counts) == 1
    assert _plan(page).count("cases_case_search VIRTUAL TABLE") == 1, "one piece, not three"
    assert plan in _plan(page), _plan(page)
    # A municipality's name: the index on the municipality serves it, no hint forbids it.
    Municipality.objects.create(name="Buurthuis-Oost", region=world.west)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("case_list"), {"q": "buurthuis"}).status_code == 200
    assert not [c["sql"] for c in queries.captured_queries if "INDEXED" in c["sql"]]


def test_only_a_managers_plain_search_counts_the_matches_and_takes_a_plan(
    world, client, monkeypatch
):
    """A coordinator's search, and a manager's search with another filter, are read as before:
    no count of the term's matches, no hint. A manager without regions finds nothing (and no
    error) whatever the plan."""
    _four_pieces(world)
    Case.objects.update(place="Buurthuis")
    url = reverse("case_list")

    def planned(user, query) -> list[str]:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        return [
            q["sql"]
            for q in queries.captured_queries
            if "INDEXED" in q["sql"] or q["sql"].startswith("SELECT COUNT(*) FROM (SELECT rowid")
        ]

    assert len(planned(world.manager, {"q": "buurthuis"})) == (
        2 if connection.vendor == "sqlite" else 0
    )
    assert planned(world.coordinator, {"q": "buurthuis"}) == []
    assert planned(world.manager, {"q": "buurthuis", "status": "requested"}) == []
    assert planned(world.manager, {"q": "buurthuis", "region": world.west.pk}) == []
    world.manager.managed_regions.set([])
    Assignment.objects.filter(coordinator=world.manager).delete()
    type(world.manager).objects.filter(pk=world.manager.pk).update(
        sees_national_inbox=False, is_coordinator=False
    )
    client.force_login(world.manager)
    from kring.cases import search as searching

    for frequent in (0, 10_000):
        monkeypatch.setattr(searching, "FREQUENT", frequent)
        response = client.get(url, {"q": "buurthuis"})
        assert response.status_code == 200 and rows(response) == []


def test_a_hint_goes_after_the_first_table_or_nowhere():
    assert (
        paging._hinted(
            'SELECT a FROM "cases_case" WHERE b IN (SELECT c FROM "cases_case")',
            '"cases_case"',
            "NOT INDEXED",
        )
        == 'SELECT a FROM "cases_case" NOT INDEXED WHERE b IN (SELECT c FROM "cases_case")'
    )
    assert paging._hinted('SELECT a FROM "cases_case"', '"cases_case"', "NOT INDEXED").endswith(
        '"cases_case" NOT INDEXED'
    )
    for sql in ('SELECT a FROM "cases_cases" WHERE 1', 'SELECT a FROM "other"'):
        with pytest.raises(ValueError, match="No table"):
            paging._hinted(sql, '"cases_case"', "NOT INDEXED")


def test_the_figures_count_the_national_inbox_old_page_numbers_and_both_filters(
    many, client, monkeypatch
):
    """A manager who holds the national inbox has its cases counted too (area 0); an old
    link's page number stays in range by the figures; status and region together narrow the
    figures as they narrow the list; a form that does not validate is counted to the cap."""
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    manager = many.manager
    manager.sees_national_inbox = True
    manager.save()
    for _ in range(3):
        CaseFactory(region=None, municipality=None, status="intake")
    CaseFactory(region=many.west, status="intake")
    client.force_login(manager)
    url = reverse("case_list")
    scope = cases_for(manager)
    assert client.get(url).context["page"].count == scope.count() == 28
    assert client.get(url, {"status": "intake"}).context["page"].count == 4
    both = client.get(url, {"status": "intake", "region": many.west.pk})
    assert both.context["page"].count == 1 == len(rows(both))
    last = client.get(url, {"page": 99})  # 28 cases, 5 a page: page 6 holds the last 3
    assert last.context["page"].count == 28 and len(rows(last)) == 3
    invalid = client.get(url, {"status": "no-such-status"}, HTTP_ACCEPT_LANGUAGE="en")
    assert invalid.context["form"].errors and invalid.context["page"].more_than == 10


def test_a_scopes_pieces_are_written_once_and_only_for_that_scope(world, client, settings):
    """A list without a search or a filter writes its pieces' SQL once per scope
    (paging._WRITTEN, keyed by access.scope_key): the same SQL and values as written anew;
    another scope, or the same manager with other regions, gets its own."""
    from kring.cases.access import scope_key

    settings.KRING_CASE_PAGE_SIZE = 5
    manager = _four_pieces(world)
    paging._WRITTEN.clear()

    def written(user, key=None):
        scope = cases_for(user).select_related(*paging.RELATED)
        return paging._Pieces(scope, case_partitions(user), key=key).parts

    fresh = written(manager)
    assert written(manager, scope_key(manager)) == fresh
    assert len(paging._WRITTEN) == 1
    assert written(manager, scope_key(manager)) == fresh  # from the cache
    assert len(paging._WRITTEN) == 1
    # The list itself, page after page, reads through the cache and shows every case once.
    client.force_login(manager)
    url = reverse("case_list")
    response = client.get(url)
    seen = rows(response)
    while "next" in links(response):
        response = client.get(f"{url}?{links(response)['next']}")
        seen += rows(response)
    assert sorted(seen) == sorted(cases_for(manager).values_list("reference", flat=True))
    assert len(paging._WRITTEN) == 1
    # Other regions: another key, and SQL with their values.
    manager.managed_regions.set([world.west])
    manager = type(manager).objects.get(pk=manager.pk)  # as the next request reads its user
    other = written(manager, scope_key(manager))
    assert other == written(manager) != fresh
    assert scope_key(world.other_manager) != scope_key(manager)
    assert len(paging._WRITTEN) == 2
