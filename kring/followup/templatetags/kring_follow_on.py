"""The case page's follow-on links, computed where the page is drawn (a few queries)."""

from __future__ import annotations

from typing import Any

from django import template

from kring.accounts.models import User
from kring.cases.models import Case
from kring.followup.follow_on import Links, links

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_on_links(context: dict[str, Any], case: Case) -> Links | None:
    """Both directions of the follow-on link and what the manager may do, for ``case``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return None
    return links(case, user, is_manager=bool(context.get("is_manager")))
