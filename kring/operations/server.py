"""How Kring runs under gunicorn: the one command line that `manage.py serve`, the benchmark,
the topology test, the container image and the systemd units all use."""

from __future__ import annotations

import sys

from django.conf import settings


def gunicorn_argv(
    *,
    bind: str | None = None,
    processes: int | None = None,
    threads: int | None = None,
    worker_class: str | None = None,
) -> list[str]:
    worker_class = worker_class or settings.KRING_WEB_WORKER_CLASS
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "kring.wsgi:application",
        "--bind",
        bind or settings.KRING_BIND,
        "--workers",
        str(processes or settings.KRING_WEB_PROCESSES),
        "--worker-class",
        worker_class,
        "--timeout",
        str(settings.KRING_WEB_TIMEOUT),
        "--graceful-timeout",
        "30",
        # Load Kring once, before forking: a refused setting stops the server at once, and the
        # server's own log lines go through Kring's (JSON) logging too.
        "--preload",
        # Kring logs one line per request itself, with the request ID and tokens redacted.
        "--error-logfile",
        "-",
        "--no-control-socket",
    ]
    if worker_class == "gthread":
        argv += ["--threads", str(threads or settings.KRING_WEB_THREADS)]
    if settings.KRING_TRUSTED_PROXIES:
        # The proxy in front sets X-Forwarded-Proto; Kring reads X-Forwarded-For itself.
        argv += ["--forwarded-allow-ips", "*"]
    return argv
