"""URLs by phase (issue 15, point 8): each app lists its own routes in its ``urls.py``, and the
site's ``kring/urls.py`` only includes them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

KRING = Path(__file__).resolve().parents[2] / "kring"
# What the root may still name itself: includes, Django's language switch, the admin, and the
# benchmark's bare view.
ROOT_VIEWS = {"set_language", "admin.site.urls", "operations_views.bare"}


def _app_urls() -> dict[str, object]:
    return {
        path.parent.name: importlib.import_module(f"kring.{path.parent.name}.urls")
        for path in sorted(KRING.glob("*/urls.py"))
    }


def test_every_route_lives_in_its_views_app():
    modules = _app_urls()
    assert {"cases", "circle", "meetings", "plans", "followup", "research"} <= set(modules)
    elsewhere = []
    for app, module in modules.items():
        for name in ("urlpatterns", "case_urlpatterns"):
            for pattern in getattr(module, name, []):
                if isinstance(pattern, URLPattern):
                    owner = pattern.callback.__module__.split(".")[1]
                    if owner != app:
                        elsewhere.append(f"{app}: {pattern.pattern} → {owner}")
    assert elsewhere == []


def test_the_root_only_puts_the_apps_routes_in_order():
    tree = ast.parse((KRING / "urls.py").read_text())
    own = [
        ast.unparse(call.args[1])
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and ast.unparse(call.func) == "path"
        and not ast.unparse(call.args[1]).startswith("include(")
    ]
    assert set(own) <= ROOT_VIEWS, own


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.name


def test_a_case_page_is_under_the_case_and_names_are_unique():
    # The API's routes have names of their own, in the API's namespace.
    routes = [r for r in _routes(get_resolver().url_patterns) if not r[0].startswith("api/")]
    named = [name for _route, name in routes if name]
    assert len(named) == len(set(named))
    by_name = {name: route for route, name in routes}
    for name in ("circle", "meeting", "plan", "case_follow_up", "case_access", "case_detail"):
        assert by_name[name].startswith("zaken/<str:reference>/"), name
