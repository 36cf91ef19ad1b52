"""Start the web app and the background worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kring.demo.personas import DEMO_PASSWORD, PERSONAS


def _browsable(host: str) -> str:
    """The address a browser on this machine uses for ``host`` (a wildcard means here)."""
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - the interface runserver listens on
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def site_for(host: str, port: int) -> tuple[str, dict[str, str]]:
    """The site's address and the environment for the web app and the worker: without an
    explicit SITE_URL, links follow the port and host actually served, so that every email,
    letter and .ics points where Kring runs."""
    environment = dict(os.environ)
    if settings.SITE_URL_EXPLICIT:
        return settings.SITE_URL, environment
    site_url = f"http://{_browsable(host)}:{port}"
    environment["SITE_URL"] = site_url
    environment["KRING_PORT"] = str(port)
    return site_url, environment


class Command(BaseCommand):
    help = "Run Kring: the web app and the worker, in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KRING_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KRING_PORT", 8000)))

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        site_url, environment = site_for(host, port)
        children = [
            subprocess.Popen(
                [
                    *manage,
                    "runserver",
                    f"{host}:{port}",
                    "--noreload",
                    "--skip-checks",
                ],
                env=environment,
            ),
            subprocess.Popen([*manage, "worker"], env=environment),
        ]
        address = f"http://{_browsable(host)}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nKring runs at {address}"))
        if site_url.rstrip("/") + "/" != address:
            self.stdout.write(f"Links in emails, letters and calendar events point at {site_url}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for persona in PERSONAS:
            if persona.printed_as:
                self.stdout.write(f"  {persona.printed_as:<48} {persona.email}")
        if settings.KRING_DEMO_MAILBOX:
            self.stdout.write(f"Mail goes to the mailbox inside Kring: {address}beheer/berichten/")
        if settings.KRING_MFA_REQUIRED:
            self.stdout.write(
                "Staff need a second factor: the first sign-in asks to set up an authenticator "
                "app (TOTP)."
            )
        else:
            self.stdout.write(
                "Second factor: off for this demo (KRING_MFA_REQUIRED=false); production "
                "requires it."
            )
        self.stdout.write("Press Ctrl-C to stop the web app and the worker.\n")

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        stopped_by_user = False
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            stopped_by_user = True
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if not stopped_by_user:
            self.stderr.write("A part of Kring stopped unexpectedly; see the messages above.")
            sys.exit(1)
