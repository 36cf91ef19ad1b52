"""The in-process half of ``manage.py bench`` (issue 18): run on one benchmark database, it
prepares what the HTTP half needs (staff sessions, a personal link, the pages' addresses) and
measures what HTTP cannot see: each page's number of queries, the plan PDF against WeasyPrint
for the same HTML, and the research export's rows per second and peak memory."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import User
from kring.cases.access import cases_for
from kring.cases.models import Case
from kring.cases.paging import NEWEST_FIRST, cursor
from kring.circle.models import Participant, PersonalLink, hash_token
from kring.demo.personas import PERSONAS
from kring.research import dataset, exports
from kring.research.access import financiers_for

PERSONA_KEYS = ("manager", "researcher", "coordinator")


def _session(user: User) -> str:
    # The benchmark's staff have a second factor on record, as every real staff member must.
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": "benchmark"}
        )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def _paths(manager: User) -> dict[str, str]:
    from kring.bench.management.commands.bench import PAGES

    scope = cases_for(manager).order_by(*NEWEST_FIRST)
    total = scope.count()
    middle = scope[max(total // 2 - 1, 0)]
    financier = financiers_for(manager).first()
    first_case = scope.first()
    if financier is None or first_case is None:
        raise RuntimeError("The benchmark database has no case or financier in the scope.")
    values = {
        "financiers": reverse("financiers"),
        "report": reverse("financier_report", args=[financier.pk]),
        "deep": f"{reverse('case_list')}?after={cursor(middle)}",
        "case": first_case.get_absolute_url(),
    }
    return {key: path.format(**values) for key, _label, _persona, path in PAGES}


def _portal() -> str:
    participant = Participant.objects.filter(case__isnull=False).order_by("pk").first()
    if participant is None:
        raise RuntimeError("The benchmark database has no participant.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    PersonalLink.objects.create(
        participant=participant,
        purpose=PersonalLink.Purpose.PORTAL,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + dt.timedelta(days=2),
    )
    return f"/p/{token}/"


def _queries(sessions: dict[str, str], paths: dict[str, str]) -> dict[str, int]:
    from kring.bench.management.commands.bench import PAGES

    counts = {}
    for key, _label, persona, _path in PAGES:
        client = Client(HTTP_HOST="localhost")
        client.cookies["sessionid"] = sessions[persona]
        client.get(paths[key], secure=True)  # per-process caches, as a running server has them
        with CaptureQueriesContext(connection) as queries:
            response = client.get(paths[key], secure=True)
            streamed = getattr(response, "streaming_content", None)
            if streamed is not None:
                b"".join(streamed)
        if response.status_code != 200:
            raise RuntimeError(f"{paths[key]} answered {response.status_code}.")
        counts[key] = len(queries)
    return counts


def _pdf() -> tuple[float, float]:
    """The plan PDF as Kring makes it, against WeasyPrint alone on the same HTML: the fastest
    of nine each, interleaved. With HarfBuzz's subsetter a PDF takes about 110 ms, and the
    medians of five moved by a fifth between runs on a busy machine (1.00-1.21x) while
    Kring's own part, the HTML, takes 1.1 ms."""
    import weasyprint  # type: ignore[import-untyped]
    from django.conf import settings

    from kring.plans.document import plan_html, plan_pdf
    from kring.plans.models import PlanVersion

    version = PlanVersion.objects.order_by("-pk").first()
    if version is None:
        raise RuntimeError("The benchmark database has no plan version.")
    html = plan_html(version, "nl")
    kring, floor = [], []
    for _ in range(9):
        started = time.perf_counter()
        plan_pdf(version, "nl")
        kring.append(time.perf_counter() - started)
        started = time.perf_counter()
        weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            pdf_variant="pdf/ua-1"
        )
        floor.append(time.perf_counter() - started)
    return min(kring), min(floor)


# The export is timed this many times: the first run, then the median of the others (as a
# page is timed after its warm-up). At 100,000 cases on PostgreSQL the first run in a process
# took 3.7-5.8 s and the runs after it 3.3-3.8 s (docs/benchmarks.md, session 14).
EXPORT_RUNS = 4


def _export() -> dict[str, Any]:
    """The cases' CSV as the export view streams it: rows per second (untraced), the queries
    (counted in a second run inside a transaction, where the rows are read in this thread:
    SQLite's are otherwise read ahead on a connection of their own), and the peak memory over
    its first 2,000 rows (tracemalloc slows Python down many times over)."""
    ds = dataset.CASES
    runs: list[float] = []
    rows: int | None = None
    for _run in range(EXPORT_RUNS):
        started = time.perf_counter()
        content = b"".join(
            exports.ended_csv_pieces(ds.columns, ds.rows(Case.objects.all(), dataset.Period()))
        )
        runs.append(time.perf_counter() - started)
        counted = exports.complete(content)
        if rows is not None and counted != rows:
            raise RuntimeError(f"The export gave {counted} rows, and {rows} the time before.")
        rows = counted
        del content
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        for _piece in exports.ended_csv_pieces(
            ds.columns, ds.rows(Case.objects.all(), dataset.Period())
        ):
            pass
    tracemalloc.start()
    for _piece in exports.ended_csv_pieces(
        ds.columns, itertools.islice(ds.rows(Case.objects.all(), dataset.Period()), 2000)
    ):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": rows or 0,
        # The first run apart: the database's and the process's caches are cold for it.
        "first": runs[0],
        "seconds": statistics.median(runs[1:]),
        "queries": len(queries),
        "peak_kib": peak // 1024,
    }


def _api_dataset(user: User, page: int = 500) -> dict[str, Any]:
    """Issue 19's dataset endpoint as a researcher's client pages through it (WSGI, as a
    server calls Kring): the first page's time (a client's time to its first rows), the time
    for all pages and the rows per second, and the peak memory over the first four pages
    (tracemalloc slows Python down many times over; each page is made alone)."""
    import json

    from django.core.handlers.wsgi import WSGIHandler

    from kring.accounts.models import Organisation
    from kring.api import services
    from kring.api.models import Scope
    from kring.bench.management.commands.bench_api import wsgi_get

    organisation, _created = Organisation.objects.get_or_create(name="Benchmark")
    _client, secret = services.register_client(
        name="bench dataset",
        organisation=organisation,
        scopes=[Scope.RESEARCH],
        region=None,
        expires_on=timezone.localdate() + dt.timedelta(days=1),
        user=user,
    )
    headers = {"Authorization": f"Bearer {secret}"}
    app = WSGIHandler()
    path = "/api/v1/datasets/zaken/rijen"

    def pages(limit: int | None = None) -> Iterator[tuple[int, float]]:
        cursor, done = "", 0
        while limit is None or done < limit:
            params: dict[str, Any] = {"aantal": page, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            body = json.loads(wsgi_get(app, path, params, headers))
            yield len(body["rijen"]), time.perf_counter() - started
            done += 1
            cursor = body["volgende"]
            if not cursor:
                return

    with override_settings(KRING_API_LIMIT_PER_MINUTE=10**9):  # one client, many pages
        list(pages(1))  # study IDs are made once, on a dataset's first reading
        started = time.perf_counter()
        counted = list(pages())
        seconds = time.perf_counter() - started
        tracemalloc.start()
        for _page in pages(4):
            pass
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "rows": sum(rows for rows, _seconds in counted),
        "pages": len(counted),
        "first": counted[0][1],
        "seconds": seconds,
        "peak_kib": peak // 1024,
    }


def measure() -> dict[str, Any]:
    emails = {persona.key: persona.email for persona in PERSONAS}
    users = {key: User.objects.get(email=emails[key]) for key in PERSONA_KEYS}
    sessions = {key: _session(user) for key, user in users.items()}
    paths = _paths(users["manager"])
    paths["portal"] = _portal()
    return {
        "sessions": sessions,
        "paths": paths,
        "queries": _queries(sessions, paths),
        "pdf": _pdf(),
        "export": _export(),
        "api_dataset": _api_dataset(User.objects.get(email=emails["administrator"])),
        "cases": Case.objects.count(),
    }
