"""PostgreSQL stopped and started under load (issue 17, drills): a cluster of the test's own
(initdb on a free port, from the Debian postgresql package), Kring served by `manage.py serve`
on it, public requests sent without pause while the database is stopped for a few seconds and
started again. Then: every acknowledged request (a redirect to the confirmation) is stored,
nothing is stored twice; while the database is away every failing request gets a 503 with
Retry-After and Kring's page (never a 500), the health check too; and once it is back every
request succeeds again within seconds, without restarting Kring. The figures: requests, 5xx,
503s, recovery seconds."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import free_port, skip_or_fail
from tests.operations.test_topology import CSRF, Browser

pytestmark = [pytest.mark.drills]

OUTAGE_SECONDS = 4


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        skip_or_fail("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed")
    return Path(found[-1]).parent


class Cluster:
    def __init__(self, root: Path, port: int) -> None:
        self.bin = _binaries()
        self.root = root
        self.data = root / "data"
        self.port = port
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def run(self, *argv: str) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


def test_drill_postgresql_stopped_and_started_under_load():
    root = Path(tempfile.mkdtemp(prefix="kring-pg-drill-"))
    cluster = Cluster(root, free_port())
    cluster.init()
    cluster.start()
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "KRING_ENV": "development",
        "DEBUG": "false",
        "KRING_REQUEST_LIMIT_PER_HOUR": "100000",
        "KRING_LOG_FORMAT": "json",
    }
    manage = [sys.executable, "manage.py"]
    server = None
    try:
        subprocess.run(  # noqa: S603 - the project's own manage.py
            [*manage, "migrate", "--noinput", "-v0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
        port = free_port()
        log = (root / "serve.log").open("wb")
        server = subprocess.Popen(  # noqa: S603
            [*manage, "serve", "--bind", f"127.0.0.1:{port}", "--threads", "4"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not _answers(f"{base}/gezond/live") and time.monotonic() < deadline:
            time.sleep(0.2)

        results: list[tuple[str, int, float]] = []
        pages: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        sent = [0]

        def load(worker: int) -> None:
            number = 0
            while not stop.is_set():
                number += 1
                name = f"Herstart {worker}-{number}"
                visitor = Browser()
                status, page = visitor.request(f"{base}/aanvragen/")
                token = CSRF.search(page) if status == 200 else None
                with lock:
                    sent[0] += 1 if token is None else 2
                if token is None:
                    with lock:
                        results.append(("", status, time.monotonic()))
                        if status == 503:
                            pages.append(page)
                    time.sleep(0.1)
                    continue
                status, answer = visitor.request(
                    f"{base}/aanvragen/",
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "requester_name": name,
                        "requester_email": "herstart@voorbeeld.test",
                        "requester_relation": "involved",
                        "description": "Een aanvraag tijdens een herstart van de database.",
                        "postcode": "1053AB",
                        "address": "Molenstraat 1",
                        "place": "Molenstraat",
                        "variant": "buurt",
                        "involved": "Bewoners",
                        "urgency": "soon",
                        "consent": "on",
                        "website": "",
                    },
                )
                with lock:
                    results.append((name if status == 302 else "", status, time.monotonic()))
                    if status == 503:
                        pages.append(answer)

        threads = [threading.Thread(target=load, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        cluster.stop()
        time.sleep(1)
        during = {path: _status_and_retry_after(f"{base}{path}") for path in PROBED}
        time.sleep(OUTAGE_SECONDS - 1)
        cluster.start()
        restarted = time.monotonic()
        time.sleep(4)  # load goes on after the start
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        acknowledged = [name for name, _status, _at in results if name]
        # Recovered: the first request acknowledged after the database was started again.
        recovered = min(at for name, _s, at in results if name and at > restarted) - restarted
        stored = _stored_names(env)
        server_errors = sum(1 for _, status, _at in results if status >= 500)
        unavailable = sum(1 for _, status, _at in results if status == 503)
        after = [status for _, status, at in results if at > restarted + recovered + 0.5]
        print(
            f"\ndatabase restart drill: {sent[0]} requests, {len(acknowledged)} "
            f"requests acknowledged, {server_errors} answered 5xx during the "
            f"{OUTAGE_SECONDS} s outage ({unavailable} of them 503), "
            f"recovered {recovered:.1f} s after the start, {len(after)} answers after that: "
            f"{sorted(set(after))}"
        )
        log_text = (root / "serve.log").read_text(errors="replace")
        assert acknowledged, (root / "serve.log").read_text(errors="replace")[-3000:]
        missing = [name for name in acknowledged if stored.count(name) != 1]
        assert missing == []
        assert recovered < 10
        assert len(stored) == len(set(stored))
        # During the outage: 503s with Retry-After and Kring's page, never a 500.
        assert server_errors > 0 and server_errors == unavailable, log_text[-3000:]
        assert all("Kring is briefly unavailable" in page for page in pages)
        assert during["/aanvragen/"][0] == 503 and during["/aanvragen/"][1].isdigit()
        assert during["/gezond/klaar"][0] == 503
        # Back without a restart of Kring: every answer after the recovery succeeds.
        assert after and set(after) <= {200, 302}
        # Logged once per request that failed on it (and per probe).
        assert log_text.count("Database unavailable") == unavailable + 1, log_text[-3000:]
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


PROBED = ("/aanvragen/", "/gezond/klaar")


def _status_and_retry_after(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local
            return answer.status, answer.headers.get("Retry-After", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After", "")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - a local URL
            return bool(answer.status == 200)
    except OSError:
        return False


def _stored_names(env: dict[str, str]) -> list[str]:
    script = (
        "import django; django.setup(); from kring.cases.models import Case; "
        "print('\\n'.join(Case.objects.filter(requester_name__startswith='Herstart ')"
        ".values_list('requester_name', flat=True)))"
    )
    answer = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "kring.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [line for line in answer.stdout.splitlines() if line]
