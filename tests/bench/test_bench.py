"""Issue 18's benchmark command runs end to end on two small databases of its own: every page
of the issue's table at both sizes (queries and times), the PDF against WeasyPrint, the
export, the public pages under gunicorn against a bare view, and the workers against plain
smtplib."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from django.core.management import call_command

from kring.bench.management.commands.bench import PAGES
from kring.bench.management.commands.bench_serve import Cpu


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
    senders = ("plain smtplib", "plain smtplib, 2 processes")
    for sender in (*senders, "1 worker(s)", "2 worker(s)"):
        assert re.search(rf"^{re.escape(sender)}\s+[\d.]+\s+[\d.]+\s+(0|-)$", text, re.M), sender
    # Twice: to the local server, and to one that answers as slowly as a relay.
    assert "to a server that takes 20 ms a message" in text
    assert len(re.findall(r"^two workers against one: [\d.]+×", text, re.M)) == 2
    # Beside the local server's: what two plain senders, processes of their own, get there.
    assert re.search(r"^two workers .*; two plain senders against one: [\d.]+×\)$", text, re.M)
    # Timed from the server's first message to its last, with the workers' wake-up beside it.
    began = r"^  \(the workers' rate from the first .*; they began \d+ ms and \d+ ms after"
    assert len(re.findall(began, text, re.M)) == 2
    # What the machine had left: the CPU of each round, and the most it allows.
    cpu = r"^  CPU, [12] worker\(s\): [\d.]+ of \d+ cores busy .*: at most [\d.]+× this rate here"
    assert len(re.findall(cpu, text, re.M)) == 4
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


def test_the_cpu_line_names_the_bound_that_stops_more_workers_first():
    used = Cpu([])
    used.cores = 2
    # 10 s: the machine 15 s of CPU busy, the workers 5, this process (the SMTP server) 2.
    used.start, used.end = (0.0, 0.0, 0.0, 0.0), (10.0, 15.0, 5.0, 2.0)
    line = used.line(1)
    assert line is not None
    assert "1.50 of 2 cores busy (worker(s) 0.50, SMTP server and benchmark 0.20" in line
    assert "database and everything else 0.80" in line
    assert line.endswith("at most 1.33× this rate here, with all 2 cores busy")
    # A server busy 80 % of the time on its one thread allows 1.25×, before the cores' 2×.
    used.end = (10.0, 10.0, 2.0, 8.0)
    assert str(used.line(2)).endswith(
        "at most 1.25× this rate here, with the SMTP server's one thread busy"
    )
    # Without /proc (or a window too short to see): no line rather than a wrong one.
    used.end = None
    assert used.line(1) is None
    used.end = (0.0, 0.0, 0.0, 0.0)
    assert used.line(1) is None


def test_the_cpu_reads_this_machine():
    used = Cpu([os.getpid()])
    if used.start is None:
        pytest.fail("/proc is not readable here: the mail benchmark would print no CPU line")
    spent = time.process_time()
    while time.process_time() - spent < 0.1:  # CPU of this process, counted as a "worker's"
        sum(i * i for i in range(10_000))
    used.stop()
    assert used.end is not None
    wall, busy, workers, own = (b - a for a, b in zip(used.start, used.end, strict=True))
    # Clock ticks of a hundredth of a second: 0.1 s of CPU is 8-12 of them, the machine's too.
    assert 0.05 <= workers <= 0.2 and 0.05 <= own <= 0.2 and busy >= 0.05 and wall >= 0.1
