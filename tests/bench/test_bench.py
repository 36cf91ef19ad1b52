"""Issue 18's benchmark command runs end to end on two small databases of its own: every page
of the issue's table at both sizes (queries and times), the PDF against WeasyPrint, the
export, the public pages under gunicorn against a bare view, and the workers against plain
smtplib."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from kring.bench.management.commands.bench import PAGES


@pytest.mark.operations
def test_bench_prints_one_table_of_ratios(tmp_path):
    out = io.StringIO()
    call_command(
        "bench",
        sizes=[12, 6],
        requests=1,
        load_requests=16,
        load_rounds=2,
        concurrency=2,
        messages=20,
        folder=tmp_path,
        stdout=out,
    )
    text = out.getvalue()
    assert "6 against 12 generated cases" in text
    for _key, label, _persona, _path in PAGES:
        line = next(line for line in text.splitlines() if line.startswith(label))
        match = re.search(r"(\d+) → (\d+)\s+([\d.]+) →\s+([\d.]+)\s+([\d.]+)", line)
        assert match, line
        assert float(match[3]) > 0 and float(match[5]) > 0
    assert re.search(r"plan PDF: \d+ ms against WeasyPrint's \d+ ms", text)
    assert re.search(r"export zaken\.csv: [\d,]+ rows in", text)
    for page in ("bare view", "/aanvragen/", "own page", "staff case list"):
        # Rate, latency, the median of the rounds' ratios, and their lowest and highest.
        pattern = rf"^{re.escape(page)}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+-[\d.]+"
        assert re.search(pattern, text, re.M), page
    assert "in each of 2 rounds" in text
    # The workers against plain smtplib, none sending a message twice.
    for sender in ("plain smtplib", "1 worker(s)", "2 worker(s)"):
        assert re.search(rf"^{re.escape(sender)}\s+[\d.]+\s+[\d.]+\s+(0|-)$", text, re.M), sender
    # Twice: to the local server, and to one that answers as slowly as a relay.
    assert "to a server that takes 20 ms a message" in text
    assert len(re.findall(r"^two workers against one: [\d.]+×", text, re.M)) == 2
    # A second run reuses the databases.
    again = io.StringIO()
    call_command(
        "bench",
        sizes=[6, 12],
        requests=1,
        skip_load=True,
        skip_mail=True,
        folder=tmp_path,
        stdout=again,
    )
    assert "Reusing the database for 6 cases." in again.getvalue()
