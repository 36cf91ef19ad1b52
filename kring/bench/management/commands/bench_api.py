"""Benchmark the API: the dataset endpoint's rows per second and peak memory (tracemalloc,
while paging through every case) at N cases, and a submission's latency against the same
request through the public form's plain Django view. Everything runs through Kring's whole
request stack (middleware, authentication, rate limit, access log) with Django's test client,
inside a transaction that is rolled back: the database is left as it was.

    manage.py bench_api --cases 1000 10000 [--page 1000] [--submissions 30]
"""

from __future__ import annotations

import json
import random
import statistics
import time
import tracemalloc
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from kring.accounts.models import Organisation, User
from kring.api import services
from kring.api.models import Scope
from kring.bench.management.commands.bench_export import Rollback, follow_ups
from kring.cases.models import Case
from kring.demo import bulk
from kring.demo import personas as demo
from kring.followup.study import study_ids

BODY = {
    "requesterName": "Sanne de Boer",
    "requesterEmail": "sanne@voorbeeld.test",
    "requesterRelation": "professional",
    "requesterOrganisation": "Buurtteam Oost",
    "description": "Overlast van muziek in de Molenstraat, al maanden.",
    "postcode": "1053AB",
    "place": "Bewoners van de Molenstraat",
    "variant": "buurt",
    "consent": True,
}
FORM = {
    "requester_name": "Sanne de Boer",
    "requester_email": "sanne@voorbeeld.test",
    "requester_relation": "professional",
    "requester_organisation": "Buurtteam Oost",
    "description": "Overlast van muziek in de Molenstraat, al maanden.",
    "postcode": "1053AB",
    "place": "Bewoners van de Molenstraat",
    "variant": "buurt",
    "urgency": "normal",
    "consent": "on",
}


def wsgi_get(app: WSGIHandler, path: str, params: dict[str, Any], headers: dict[str, str]) -> bytes:
    """GET ``path`` from the WSGI application, as a WSGI server would; the body."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params),
    }
    setup_testing_defaults(environ)
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    statuses: list[str] = []

    def start_response(status: str, _headers: list[tuple[str, str]], _exc: Any = None) -> Any:
        statuses.append(status)
        return None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    if not statuses[0].startswith("200"):
        raise CommandError(f"{path}: {statuses[0]} {body[:300]!r}")
    return body


class Command(BaseCommand):
    help = "Time the API's dataset pages at N cases and a submission against the public form."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, nargs="+", default=[1000, 10000])
        parser.add_argument("--page", type=int, default=500, help="cases per page")
        parser.add_argument("--submissions", type=int, default=30)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(
        self, *args: Any, cases: list[int], page: int, submissions: int, seed: int, **options: Any
    ) -> None:
        sizes = sorted(set(cases))
        lines: list[str] = [f"database: {connection.vendor}"]
        limits = {
            "DEBUG": False,
            "KRING_API_LIMIT_PER_MINUTE": 10**9,
            "KRING_REQUEST_LIMIT_PER_HOUR": 10**9,
        }
        with override_settings(**limits):
            try:
                with transaction.atomic():
                    regions = demo.ensure_reference_data()
                    demo.ensure_staff(regions)
                    user = User.objects.filter(is_administrator=True).first()
                    assert user is not None  # noqa: S101 - ensure_staff made one
                    researcher = self._client(user, Scope.RESEARCH)
                    submitter = self._client(user, Scope.SUBMIT)
                    before = Case.objects.aggregate(last=Max("pk"))["last"] or 0
                    made = 0
                    rng = random.Random(seed)  # noqa: S311 - test data
                    lines.append(
                        f"{'cases':>7} {'rows':>7} {'pages':>6} {'seconds':>8} {'rows/s':>8} "
                        f"{'peak MiB':>9}"
                    )
                    peaks: dict[int, int] = {}
                    for size in sizes:
                        self.stderr.write(f"generating {size - made} cases …")
                        last = Case.objects.aggregate(last=Max("pk"))["last"] or 0
                        for _done in bulk.seed(size - made, seed=seed + size):
                            pass
                        made = size
                        follow_ups(Case.objects.filter(pk__gt=last), rng)
                        pks = list(Case.objects.values_list("pk", flat=True))
                        for start in range(0, len(pks), 500):
                            study_ids(pks[start : start + 500])
                        self.stderr.write(f"paging through {size} …")
                        rows, pages, seconds, peak = self._page_through(researcher, page)
                        peaks[size] = peak
                        lines.append(
                            f"{size:>7} {rows:>7} {pages:>6} {seconds:>8.2f} "
                            f"{rows / seconds:>8.0f} {peak / 2**20:>9.2f}"
                        )
                    if len(sizes) > 1:
                        small, large = sizes[0], sizes[-1]
                        lines.append(
                            f"peak memory at {large} vs {small} cases: "
                            f"x{peaks[large] / peaks[small]:.2f}"
                        )
                    del before
                    lines += self._submissions(submitter, submissions)
                    raise Rollback
            except Rollback:
                pass
        self.stdout.write("\n".join(lines))

    def _client(self, user: User, scope: str) -> dict[str, str]:
        organisation, _created = Organisation.objects.get_or_create(name="Benchmark")
        _client, secret = services.register_client(
            name=f"bench {scope}",
            organisation=organisation,
            scopes=[scope],
            region=None,
            expires_on=timezone.localdate(),
            user=user,
        )
        return {"Authorization": f"Bearer {secret}"}

    def _page_through(self, headers: dict[str, str], size: int) -> tuple[int, int, float, int]:
        app = WSGIHandler()

        def all_pages() -> tuple[int, int]:
            rows, pages, cursor = 0, 0, ""
            while True:
                params: dict[str, Any] = {"aantal": size}
                if cursor:
                    params["cursor"] = cursor
                body = json.loads(wsgi_get(app, "/api/v1/datasets/zaken/rijen", params, headers))
                rows += len(body["rijen"])
                pages += 1
                cursor = body["volgende"]
                del body  # one page in memory at a time, as a client that streams would
                if not cursor:
                    return rows, pages

        # As a WSGI server calls Kring (Django's test client keeps every response alive in a
        # reference cycle until the garbage collector runs, which would be counted here).
        # The database connection stays open across requests: the data lives in the
        # transaction that is rolled back at the end.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return self._measure(all_pages)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    def _measure(self, all_pages: Any) -> tuple[int, int, float, int]:
        tracemalloc.start()
        try:
            all_pages()
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        seconds = float("inf")
        for _round in range(2):
            began = time.perf_counter()
            rows, pages = all_pages()
            seconds = min(seconds, time.perf_counter() - began)
        return rows, pages, seconds, peak

    def _submissions(self, headers: dict[str, str], count: int) -> list[str]:
        http = Client()
        timings: dict[str, list[float]] = {
            "API POST /api/v1/aanvragen": [],
            "form POST /aanvragen/": [],
        }
        for number in range(count):
            began = time.perf_counter()
            response = http.post(
                "/api/v1/aanvragen",
                {**BODY, "requesterName": f"Sanne {number}"},
                content_type="application/json",
                headers=headers,
            )
            timings["API POST /api/v1/aanvragen"].append(time.perf_counter() - began)
            assert response.status_code == 201, response.content  # noqa: S101
            began = time.perf_counter()
            response = http.post("/aanvragen/", {**FORM, "requester_name": f"Sanne {number}"})
            timings["form POST /aanvragen/"].append(time.perf_counter() - began)
            assert response.status_code == 302, response.status_code  # noqa: S101
        lines = [f"\nsubmission latency over {count} each (median, p90), ms:"]
        for name, values in timings.items():
            ordered = sorted(values)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            lines.append(f"  {name:<28} {statistics.median(values) * 1000:7.1f} {p90 * 1000:7.1f}")
        return lines
