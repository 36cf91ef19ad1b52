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

from kring.core.demo import DEMO_PASSWORD, PERSONAS


class Command(BaseCommand):
    help = "Run Kring: the web app and the worker, in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KRING_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KRING_PORT", 8000)))

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = [
            subprocess.Popen(
                [
                    *manage,
                    "runserver",
                    f"{host}:{port}",
                    "--noreload",
                    "--skip-checks",
                ]
            ),
            subprocess.Popen([*manage, "worker"]),
        ]
        address = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nKring runs at {address}"))
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
