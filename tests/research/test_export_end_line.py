"""A streamed export cannot be cut off unnoticed (issue 18): a CSV ends with an end line that
counts its rows, named in the data dictionary; a download that stops halfway — a timeout, a
dropped connection, an error while the rows are read — lacks it, and is recognised as
incomplete at every point where it can stop."""

from __future__ import annotations

from typing import Any

import pytest

from kring.cases.models import Case
from kring.research import case_sql, exports
from tests.factories import CaseFactory
from tests.research.test_dataset_export import EN, csv_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world):
    for i in range(12):
        CaseFactory(region=world.west if i % 2 else world.zuid, place=f"Plein {i}")
    return world


def download(client, path: str, **params: Any) -> bytes:
    response = client.get(path, params, **EN)
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("dialect", ["international", "nl"])
@pytest.mark.parametrize("slug", ["zaken", "antwoorden"])
def test_a_whole_export_ends_with_its_row_count(many, client, dialect, slug):
    client.force_login(many.researcher)
    content = download(client, f"/onderzoek/gegevens/{slug}.csv", dialect=dialect)
    assert content.endswith(b"\r\n") and b"#kring-end rows=" in content.splitlines()[-1]
    count = exports.complete(content)
    assert count is not None
    if slug == "zaken":
        assert count == Case.objects.count() == 13
    assert count == len(csv_rows(content) if dialect != "nl" else content.splitlines()[1:-1])


def test_a_download_cut_off_anywhere_is_not_complete(many, client):
    client.force_login(many.researcher)
    content = download(client, "/onderzoek/gegevens/zaken.csv")
    assert exports.complete(content) == 13
    # Every place a connection can drop: inside a row, at the end of a row, inside the end
    # line, and just before it.
    for cut in range(len(content)):
        assert exports.complete(content[:cut]) is None, cut
    # A row taken out of a whole file (the count no longer matches).
    lines = content.split(b"\r\n")
    assert exports.complete(b"\r\n".join(lines[:3] + lines[4:])) is None


def test_an_error_while_the_rows_are_read_leaves_no_end_line(many, client, monkeypatch):
    """The server stops sending halfway (here: reading the rows fails after five, as when a
    worker is killed at its timeout): the client has a 200 and part of a file, which the
    end line's absence gives away."""
    rows = case_sql.case_rows

    def failing(*args: Any, **kwargs: Any):
        for number, row in enumerate(rows(*args, **kwargs)):
            if number == 5:
                raise ConnectionError("the worker was stopped")
            yield row

    monkeypatch.setattr(case_sql, "case_rows", failing)
    client.force_login(many.researcher)
    response = client.get("/onderzoek/gegevens/zaken.csv", **EN)
    assert response.status_code == 200  # the status went out before the rows
    received = b""
    with pytest.raises(ConnectionError):
        for piece in response.streaming_content:
            received += piece
    assert received.startswith("\ufeff".encode())
    assert exports.complete(received) is None
    assert b"#kring-end" not in received


def test_the_dictionary_names_the_end_line(world, client):
    client.force_login(world.researcher)
    response = client.get("/onderzoek/gegevens/woordenboek/zaken.csv", **EN)
    entries = {row["column"]: row for row in csv_rows(response.content)}
    assert "#kring-end" in entries
    assert "rows=N" in entries["#kring-end"]["description"]
    dutch = client.get("/onderzoek/gegevens/woordenboek/zaken.csv", HTTP_ACCEPT_LANGUAGE="nl")
    assert "#kring-end" in dutch.content.decode("utf-8-sig")
    assert "afgebroken" in dutch.content.decode("utf-8-sig")
