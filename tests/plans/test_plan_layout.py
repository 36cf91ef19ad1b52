"""The plan page finds its way (issue 14, point 12: it was one 5,700 px column): a table of
contents that links to every part, and parts that fold without JavaScript — each a
<details> whose <summary> holds the part's heading — with the part where the work is unfolded.
How it looks at 1280 and 375 px is checked in tests/browser/test_plan_layout.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from kring.cases.models import Case, Status
from kring.plans.models import Plan, PlanVersion
from kring.plans.views import PARTS
from tests.plans import test_plan_editor as editor
from tests.plans.test_plan_editor import HTMX, add_url, good_agreement, make_agreement, text

# The plan editor's fixtures: English pages, and a case after its conference.
_english = editor._english
held = editor.held


class Layout(HTMLParser):
    """What the page's structure says: the table of contents' links, and for each element with
    an id the <details> it is folded in (open or not) and the heading of that <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.toc: list[str] = []
        self.folded_in: dict[str, dict[str, str]] = {}  # id → the attributes of its <details>
        self.headings: dict[int, list[tuple[str, str]]] = {}  # <details> → (tag, id) in summary
        self._details: list[dict[str, str]] = []
        self._in_toc = False
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "nav" and a.get("id") == "plan-toc":
            self._in_toc = True
        if tag == "a" and self._in_toc:
            self.toc.append(a.get("href", ""))
        if tag == "details":
            self._details.append(a)
        if tag == "summary":
            self._in_summary = True
        if self._in_summary and tag in ("h2", "h3") and self._details:
            self.headings.setdefault(id(self._details[-1]), []).append((tag, a.get("id", "")))
        if a.get("id") and self._details:
            self.folded_in[a["id"]] = self._details[-1]

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_toc = False
        if tag == "details" and self._details:
            self._details.pop()
        if tag == "summary":
            self._in_summary = False

    def is_open(self, element_id: str) -> bool:
        return "open" in self.folded_in[element_id]

    def heading_of(self, element_id: str) -> list[tuple[str, str]]:
        return self.headings.get(id(self.folded_in[element_id]), [])

    def open_parts(self) -> set[str]:
        return {part for part in PARTS if self.is_open(part)}


def layout_of(response) -> Layout:
    parser = Layout()
    parser.feed(text(response))
    return parser


def set_status(held, status: str) -> None:
    Case.objects.filter(pk=held.case.pk).update(status=status)


@pytest.mark.django_db
def test_the_table_of_contents_links_to_every_part_and_every_part_folds(world, client, held):
    client.force_login(world.coordinator)
    response = client.get(held.url)
    assert response.status_code == 200
    page = layout_of(response)
    assert page.toc == [f"#{part}" for part in PARTS]
    body = text(response)
    for part in PARTS:
        # The part's content is inside a <details>; its heading is the <summary>, and names
        # the part for assistive technology.
        assert part in page.folded_in, part
        assert page.heading_of(part) == [("h2", f"{part}-title")], part
        assert f'id="{part}" aria-labelledby="{part}-title"' in body


@pytest.mark.django_db
def test_while_the_plan_is_written_its_agreements_are_open(world, client, held):
    client.force_login(world.coordinator)
    page = layout_of(client.get(held.url))
    # Nothing written yet: the answers and the agreements, with the form to add the first.
    assert page.open_parts() == {"plan-text", "agreements"}
    assert page.is_open("new-agreement_what")

    make_agreement(held, who=[held.bram], where="thuis", when="recurring", recurrence="elke dag")
    plan = Plan.objects.get(case=held.case)
    plan.contingency = "We bellen elkaar."
    plan.save(update_fields=["contingency"])
    page = layout_of(client.get(held.url))
    # Written: the answers fold; the agreements stay open, the form to add one more folds;
    # with something to finalise, finalising opens too.
    assert page.open_parts() == {"agreements", "finalise"}
    assert not page.is_open("new-agreement_what")
    assert page.heading_of("new-agreement_what") == [("h3", "new-agreement")]


@pytest.mark.django_db
def test_a_missing_who_opens_the_precision_check(world, client, held):
    client.force_login(world.coordinator)
    make_agreement(held, what="Iemand ruimt op")
    page = layout_of(client.get(held.url))
    assert "findings" in page.open_parts()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PLAN_DISTRIBUTED, Status.AFTERCARE, Status.FOLLOW_UP])
def test_once_the_plan_went_out_the_versions_are_open(world, client, held, status):
    make_agreement(held, who=[held.bram], where="thuis", when="recurring", recurrence="elke dag")
    PlanVersion.objects.create(plan=Plan.objects.get(case=held.case), number=1, content={})
    set_status(held, status)
    client.force_login(world.coordinator)
    response = client.get(held.url)
    assert response.status_code == 200
    page = layout_of(response)
    assert page.open_parts() == {"finalise"}
    assert "version 1" in text(response)


@pytest.mark.django_db
def test_a_refused_form_opens_its_part_with_the_input(world, client, held):
    make_agreement(held, who=[held.bram], where="thuis", when="recurring", recurrence="elke dag")
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "request"), {"organisation": "", "request": "Hulp"})
    assert response.status_code == 400
    page = layout_of(response)
    assert "requests" in page.open_parts()
    assert page.is_open("new-request_request")
    assert "\nHulp</textarea>" in text(response)
    response = client.post(held.url, {"version": "x"})
    assert response.status_code == 400
    assert "plan-text" in layout_of(response).open_parts()


@pytest.mark.django_db
def test_an_htmx_change_brings_the_table_of_contents_up_to_date(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "agreement"), good_agreement(held), **HTMX)
    assert response.status_code == 200
    fragment = text(response)
    start = fragment.index('<nav class="kring-plan-toc')
    toc = fragment[start : fragment.index("</nav>", start)]
    assert 'id="plan-toc"' in toc and 'data-hx-swap-oob="true"' in toc
    assert "1 agreement<" in toc
    # The section comes back without its <details>, which stays as the person left it; the
    # form to add the next agreement is open, with the focus in it.
    assert fragment.lstrip().startswith('<section class="kring-fold__body" id="agreements"')
    assert '<details class="kring-card' not in fragment
    add_form = fragment[fragment.index('<details class="kring-fold-add"') :]
    assert add_form.startswith('<details class="kring-fold-add" open>')
    assert re.search(r'<textarea [^>]*autofocus[^>]*id="new-agreement_what"', add_form)
