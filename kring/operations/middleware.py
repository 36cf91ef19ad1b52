"""Per request: the request ID for the logs, one log line, and the latency histogram."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kring.operations import jsonlog, metrics

logger = logging.getLogger("kring.request")


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = jsonlog.request_id.set(getattr(request, "request_id", ""))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            match = request.resolver_match
            view = match.view_name if match else "unmatched"
            metrics.observe_request(view, request.method or "", response.status_code, elapsed)
            if settings.KRING_REQUEST_LOG:
                logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "view": view,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            return response
        finally:
            jsonlog.request_id.reset(token)
