"""Serve Kring in production: gunicorn with whitenoise, settings from the environment."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kring.operations.server import gunicorn_argv


class Command(BaseCommand):
    help = (
        "Serve Kring with gunicorn (KRING_BIND, KRING_WEB_PROCESSES, KRING_WEB_THREADS). "
        "Run the worker (manage.py worker) next to it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.KRING_BIND, help="host:port")
        parser.add_argument("--processes", type=int, default=settings.KRING_WEB_PROCESSES)
        parser.add_argument("--threads", type=int, default=settings.KRING_WEB_THREADS)
        parser.add_argument(
            "--worker-class", default=settings.KRING_WEB_WORKER_CLASS, choices=["gthread", "sync"]
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Static files were collected already (the container image does it at build).",
        )

    def handle(
        self,
        *args: Any,
        bind: str,
        processes: int,
        threads: int,
        worker_class: str,
        no_collectstatic: bool,
        **options: Any,
    ) -> None:
        if settings.PRODUCTION and not no_collectstatic:
            # Hashed, compressed files for whitenoise (CompressedManifestStaticFilesStorage).
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(
            bind=bind, processes=processes, threads=threads, worker_class=worker_class
        )
        os.environ.setdefault("KRING_REQUEST_LOG", "true")
        self.stdout.write(f"Kring serves on http://{bind}/ ({worker_class}).")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - gunicorn replaces this process, fixed arguments
