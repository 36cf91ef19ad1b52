"""The two public ways back to one's own page without a working link: 'send me a new link'
(``/p/nieuwe-link/``) and the code printed on a letter (``/code/``). No account, no case in
the URL; neither page ever says whether an address, a code or a case exists.

Both are exempt from the CSRF check: they are reached from pages that send no referrer (so
browsers post ``Origin: null``), they hold no session, and a forged post can do nothing that
the forger could not do by posting themselves — send a link to the address Kring already
holds, or open a page with a code the forger already knows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kring.circle import links, renewal
from kring.circle.forms import LetterCodeForm, NewLinkForm
from kring.core import ratelimit

HOUR = dt.timedelta(hours=1)


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt
@never_cache
@sensitive_post_parameters("address")
@require_http_methods(["GET", "POST"])
def new_link(request: HttpRequest) -> HttpResponse:
    """Ask for a new personal link. The answer is one page, whatever was typed."""
    if request.method != "POST":
        return _private(render(request, "circle/portal_invalid.html", {"form": NewLinkForm()}))
    form = NewLinkForm(request.POST)
    if not form.is_valid():
        context = {"form": form}
        return _private(render(request, "circle/portal_invalid.html", context, status=400))
    kind, value = form.cleaned_data["address"]
    if ratelimit.allow(
        request, "new_link", limit=settings.KRING_NEW_LINK_LIMIT_PER_HOUR * 3, window=HOUR
    ) and ratelimit.allow_value(
        f"new_link_{kind}", value, limit=settings.KRING_NEW_LINK_LIMIT_PER_HOUR, window=HOUR
    ):
        renewal.send_new_link(kind, value)
    return _private(render(request, "circle/new_link_sent.html"))


@csrf_exempt
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def letter_code(request: HttpRequest) -> HttpResponse:
    """Type the code from a letter; a good one leads to the own page."""
    if request.method != "POST":
        return _private(render(request, "circle/letter_code.html", {"form": LetterCodeForm()}))
    form = LetterCodeForm(request.POST)
    if not form.is_valid():
        context: dict[str, object] = {"form": form}
        return _private(render(request, "circle/letter_code.html", context, status=400))
    if not ratelimit.allow(
        request, "letter_code", limit=settings.KRING_CODE_LIMIT_PER_HOUR, window=HOUR
    ):
        error = _("Too many attempts from this connection. Try again in an hour.")
        context = {"form": LetterCodeForm(), "error": error}
        return _private(render(request, "circle/letter_code.html", context, status=429))
    token = links.open_with_code(form.cleaned_data["code"])
    if token is None:
        error = _(
            "This code does not work. Check it on your letter: it has ten letters and digits. "
            "A code stops working when the letter is old or the conference is over."
        )
        context = {"form": LetterCodeForm(), "error": error}
        return _private(render(request, "circle/letter_code.html", context, status=404))
    return _private(redirect(reverse("portal", args=[token]), permanent=False))
