"""The hostile-input sweep (issue 17, drills): every page a role may open, with hostile query
strings; every POST form on those pages (and on a participant's own page), each text field
filled with NUL, control and bidi characters, a 100,000-character string, markup, CRLF and a
spreadsheet formula. No answer may be a 5xx, and the markup may never come back unescaped — in
the answer, in the page afterwards, or in any stored email."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from kring.circle import links
from kring.circle.models import Participant
from kring.messaging.models import OutboxMessage
from tests.site.test_permission_matrix import EXPECTATIONS, OK, _url

MARKUP = '<script>alert("kring")</script><img src=x onerror=alert(1)>'
PAYLOADS = [
    "a\x00b",
    "a\x1b[31mb",
    "Sanne \u202eevil\u202c",
    "x" * 100_000,
    MARKUP,
    "Plein 1\r\nBcc: iemand@voorbeeld.test",
    '=HYPERLINK("http://kwaad.test","klik")',
]
ROLE_ORDER = ["coordinator", "manager", "administrator", "researcher", "anonymous"]
TEXT_INPUTS = {"text", "email", "tel", "search", "url", "number", "date", "time", ""}
KEEP = {"csrfmiddlewaretoken", "action", "version", "form_once"}


class Forms(HTMLParser):
    """The POST forms of a page: their action and fields, with the values shown."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}, "text": set()}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in self._form["fields"]:
                    self._form["fields"][name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self._form["fields"][name] = a.get("value", "")
                if kind in TEXT_INPUTS and name not in KEEP:
                    self._form["text"].add(name)
        elif tag == "textarea":
            self._form["fields"][name] = ""
            self._form["text"].add(name)
        elif tag == "select":
            self._select = name
            self._form["fields"].setdefault(name, "")
        elif (
            tag == "option"
            and self._select
            and a.get("value")
            and (not self._form["fields"].get(self._select) or "selected" in a)
        ):
            self._form["fields"][self._select] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _role(name: str) -> str | None:
    expectation = EXPECTATIONS[name]
    if expectation["method"] != "get":
        return None
    return next((r for r in ROLE_ORDER if expectation[r] == OK), None)


def _unescaped(body: bytes) -> bool:
    return b'<script>alert("kring")' in body or b"<img src=x onerror" in body


PAGES = [name for name in sorted(EXPECTATIONS) if _role(name) is not None] + ["own_page"]


@pytest.mark.drills
@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_drill_hostile_input_over_every_page_and_form(world, client, name):
    if name == "own_page":
        jan = Participant.objects.create(
            case=world.case, name="Jan de Vries", category="resident", email="jan@voorbeeld.test"
        )
        role, url = "anonymous", reverse("portal", args=[links.issue(jan)])
    else:
        role, url = _role(name) or "anonymous", _url(name, world)
    if role != "anonymous":
        client.force_login(getattr(world, role))
    requests = forms_posted = 0
    failures: list[str] = []
    for query in ("?q=%00", "?q=%3Cscript%3E", "?page=-1&q=" + "x" * 3000, "?status=%E2%80%AE"):
        response = client.get(url + query)
        requests += 1
        if response.status_code >= 500:
            failures.append(f"GET {name}{query[:20]}: {response.status_code}")
    page = client.get(url)
    requests += 1
    if page.status_code == 200 and "text/html" in page.get("Content-Type", ""):
        parser = Forms()
        parser.feed(page.content.decode("utf-8", "replace"))
        for form in parser.forms:
            action = form["action"] or url
            if not form["text"] or not action.startswith("/"):
                continue
            forms_posted += 1
            for payload in PAYLOADS:
                data = {**form["fields"], **dict.fromkeys(form["text"], payload)}
                response = client.post(action, data)
                requests += 1
                body = b"" if getattr(response, "streaming", False) else response.content
                if response.status_code >= 500:
                    failures.append(f"POST {action} ({payload[:12]!r}): {response.status_code}")
                elif _unescaped(body):
                    failures.append(f"POST {action}: markup unescaped")
        after = client.get(url)
        requests += 1
        if after.status_code >= 500 or _unescaped(after.content):
            failures.append(f"GET {name} after the posts: {after.status_code} or unescaped")
    for message in OutboxMessage.objects.all():
        if _unescaped(message.body_html.encode()):
            failures.append(f"email {message.purpose}: markup unescaped")
    print(f"\nhostile sweep {name}: {forms_posted} forms, {requests} requests, {failures}")
    assert failures == []
