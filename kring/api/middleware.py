"""For every response under /api/: the ``API-Version`` header, and errors that did not come
from the API itself (an unknown path, a method not allowed, a server error) turned into
problem documents, so that a client never has to read an HTML error page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kring.core.problems import PROBLEM_TYPE, problem

API_PREFIX = "/api/"
API_VERSION = "1.0.0"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            PROBLEM_TYPE
        ):
            kept = {name: response[name] for name in ("Allow", "Retry-After") if name in response}
            response = problem(request, response.status_code, headers=kept)
        response["API-Version"] = API_VERSION
        return response
