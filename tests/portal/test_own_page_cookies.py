"""The own page sets no cookie of its own. Its forms post to the page itself, which its link
authorises (``kring.circle.portal.portal_view``, exempt from the CSRF check), so it carries no
CSRF token — and nothing on it makes one: the template tag that looks for a form with errors
asked every value in the context for its class, which made the lazy CSRF token and set its
cookie on every page. Pages with a form that the CSRF check guards still get their token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from kring.circle import links
from kring.circle.models import Participant
from kring.core import once

pytestmark = pytest.mark.django_db


def test_the_own_page_sets_no_cookie_and_its_forms_work_without_a_token(world):
    jan = Participant.objects.create(
        case=world.case, name="Jan de Vries", category="resident", language="en"
    )
    url = reverse("portal", args=[links.issue(jan)])
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200
    assert not page.cookies, page.cookies
    assert "csrfmiddlewaretoken" not in page.text and "X-CSRFToken" not in page.text
    # The willingness form as a browser sends it: what the page gave it, from no referrer.
    form = page.text[page.text.index('id="take-part"') :]
    form = form[: form.index("</form>")]
    answer = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert set(answer) == {once.FIELD, "action", "version"}, answer
    answer["willingness"] = "yes"
    sent = browser.post(url, answer, headers={"Origin": "null"})
    assert sent.status_code == 302, sent.status_code
    assert Participant.objects.get(pk=jan.pk).willingness == "yes"
    # The saved answer's notice travels in a cookie of its own, read on the next page; no CSRF
    # token, no session.
    shown = browser.get(url)
    assert "Thank you: you take part." in shown.text
    for response in (sent, shown):
        assert not {"csrftoken", "sessionid"} & set(response.cookies), response.cookies


def test_a_page_with_a_guarded_form_still_gets_its_token():
    page = Client(enforce_csrf_checks=True).get(reverse("request_form"))
    assert page.status_code == 200
    assert "csrftoken" in page.cookies
    assert 'name="csrfmiddlewaretoken"' in page.text
    assert '"X-CSRFToken": "' in page.text  # the header htmx sends with staff pages' requests
