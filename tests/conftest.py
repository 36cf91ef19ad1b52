"""Shared fixtures: named personas, a real local SMTP server, and Chromium for the browser
tests. With KRING_REQUIRE_ALL=true (CI), a missing browser or service fails instead of
skipping."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.cache import cache, caches
from django.utils import translation

from kring.accounts.models import Region, User
from kring.cases.models import Case, Status
from tests.factories import (
    CoordinatorProfileFactory,
    MunicipalityFactory,
    PostcodeRangeFactory,
    RegionFactory,
    UserFactory,
    case_in_status,
)

REQUIRE_ALL = os.environ.get("KRING_REQUIRE_ALL", "false").lower() == "true"
CHROMIUM = os.environ.get("KRING_CHROMIUM", "/usr/bin/chromium")


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (KRING_REQUIRE_ALL=true: nothing may skip)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _kring_test_settings(settings, request, tmp_path_factory):
    # pytest-django swaps in the in-memory mail backend; Kring's mail goes through the outbox.
    settings.EMAIL_BACKEND = "kring.messaging.backend.OutboxBackend"
    settings.KRING_DEMO_MAILBOX = True
    settings.EMAIL_HOST = ""
    # Research export files (issue 18) go to a temporary directory, never var/.
    settings.KRING_EXPORT_DIR = tmp_path_factory.mktemp("exports")
    # The cache lives in the database (rate limits, used one-time codes): clear it for tests
    # that use the database, so that one test's sign-ins do not count against the next.
    uses_db = bool({"db", "transactional_db"} & set(request.fixturenames)) or bool(
        request.node.get_closest_marker("django_db")
    )
    if uses_db:
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
        cache.clear()
    # Per-process flags (the demo banner's) live in this process's memory: a test's database
    # is rolled back, so the flags go with it.
    caches["local"].clear()
    # Outside a request, domain messages come in English unless a test asks for Dutch.
    with translation.override("en"):
        yield
    if uses_db:
        cache.clear()


@dataclass
class World:
    """Named personas around two regions and one case in preparation."""

    west: Region
    zuid: Region
    manager: User  # manages West
    other_manager: User  # manages Zuid
    coordinator: User  # coordinates `case`
    other_coordinator: User  # coordinates nothing in West
    researcher: User
    administrator: User
    case: Case  # West, in preparation, coordinated by `coordinator`


@pytest.fixture
def world(db) -> World:
    west = RegionFactory(name="West", slug="west")
    zuid = RegionFactory(name="Zuid", slug="zuid")
    PostcodeRangeFactory(region=west, start=1000, end=3399)
    PostcodeRangeFactory(region=zuid, start=4000, end=6499)
    MunicipalityFactory(name="Amsterdam", region=west)
    MunicipalityFactory(name="Eindhoven", region=zuid)
    manager = UserFactory(
        full_name="Marieke de Vries", email="marieke@kring.test", is_regional_manager=True
    )
    manager.managed_regions.set([west])
    other_manager = UserFactory(
        full_name="Hans Bakker", email="hans@kring.test", is_regional_manager=True
    )
    other_manager.managed_regions.set([zuid])
    coordinator = CoordinatorProfileFactory(
        user__full_name="Fatima El Amrani", user__email="fatima@kring.test"
    ).user
    other_coordinator = CoordinatorProfileFactory(
        user__full_name="Joost Visser", user__email="joost@kring.test"
    ).user
    researcher = UserFactory(full_name="Anouk Jansen", email="anouk@kring.test", is_researcher=True)
    administrator = UserFactory(
        full_name="Pieter Smit", email="pieter@kring.test", is_administrator=True
    )
    case = case_in_status(
        Status.PREPARATION,
        coordinator=coordinator,
        region=west,
        place="Bewoners van de Molenstraat",
    )
    return World(
        west,
        zuid,
        manager,
        other_manager,
        coordinator,
        other_coordinator,
        researcher,
        administrator,
        case,
    )


# --- A real SMTP server ----------------------------------------------------------------


class SMTPSink:
    """A local SMTP server (aiosmtpd) that keeps what it receives; can refuse on demand."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.refuse_with:
                    return sink.refuse_with
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.content, policy=policy.default)
                with sink._lock:
                    sink.messages.append(message)
                return "250 Message accepted"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings):
    try:
        sink = SMTPSink()
        sink.start()
    except ImportError:
        skip_or_fail("aiosmtpd is not installed")
    settings.KRING_DEMO_MAILBOX = False
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


# --- Chromium -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        skip_or_fail(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def watch_csp(page) -> list[str]:
    """Collect Content-Security-Policy violations the browser reports on ``page``."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15000)
    violations = watch_csp(page)
    yield page
    context.close()
    assert violations == [], violations
