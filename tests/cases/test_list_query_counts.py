"""The case list's search and deep pages run as many queries for few cases as for many
(issue 18's table: 'case list, search' and 'case list, deep page')."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kring.cases.access import cases_for
from kring.cases.paging import NEWEST_FIRST, cursor
from tests.cases.test_case_views import _grow, _queries


def _pages(user) -> list[str]:
    url = reverse("case_list")
    scope = cases_for(user).order_by(*NEWEST_FIRST)
    middle = scope[max(scope.count() // 2 - 1, 0)]
    return [
        f"{url}?q=molenstraat",
        f"{url}?q=MOL",
        f"{url}?q=mo",  # under three characters: no trigram
        f"{url}?after={cursor(middle)}",
        f"{url}?before={cursor(middle)}",
        f"{url}?page=2",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager", "coordinator"])
def test_search_and_deep_pages_do_not_grow_with_the_data(world, client, settings, persona):
    settings.KRING_CASE_PAGE_SIZE = 5
    user = getattr(world, persona)
    client.force_login(user)
    client.get("/")
    _grow(world, 12)
    small = [_queries(client, page) for page in _pages(user)]
    _grow(world, 40)
    large = [_queries(client, page) for page in _pages(user)]
    assert small == large
