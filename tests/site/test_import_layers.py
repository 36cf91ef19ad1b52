"""The apps form layers, and no app imports one above it (issue 15): counting imports made
inside functions and under ``TYPE_CHECKING`` too, so the graph of the apps has no cycle.

From the bottom: ``core`` (what every page needs), ``accounts`` (staff, regions), ``audit``
(the access log), ``messaging`` (the outbox: storing and sending), then the phases of a case in
their order, then what reads across them: the research figures, the own page, the start page,
the API, operations, privacy (retention and people's rights), the demo data and the
benchmarks. A phase that needs a later phase's work registers a hook instead (lifecycle checks
and effects, the case page's next step, periodic jobs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import kring

LAYERS = [
    "core",
    "accounts",
    "audit",
    "messaging",
    "cases",
    "circle",
    "meetings",
    "plans",
    "followup",
    "research",
    "portal",
    "work",
    "api",
    "operations",
    "privacy",
    "demo",
    "bench",
]
ROOT = Path(kring.__file__).parent


def _apps() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "locale"}


def _imported(tree: ast.AST, package: list[str]) -> list[tuple[str, int]]:
    """Every kring module ``tree`` imports, wherever the statement is, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "kring":  # from kring import cases
                found += [(f"kring.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((module, node.lineno))
    return [(name, line) for name, line in found if name.startswith("kring.")]


def _edges() -> list[tuple[str, str, str]]:
    """(importing app, imported app, where) for every import between two apps."""
    edges = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] == "locale":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for module, line in _imported(tree, ["kring", *parts[:-1]]):
            target = module.split(".")[1]
            if target != parts[0] and target in LAYERS:
                edges.append((parts[0], target, f"{path.relative_to(ROOT.parent)}:{line}"))
    return edges


def upward(edges: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"{where}: {source} imports {target}"
        for source, target, where in edges
        if LAYERS.index(target) > LAYERS.index(source)
    ]


def test_every_app_has_its_layer():
    assert _apps() == set(LAYERS)


def test_no_app_imports_a_later_layer():
    assert upward(_edges()) == []


def test_the_check_sees_an_import_inside_a_function():
    """The check itself: a lazy import of a later phase in a lower app is caught."""
    source = "def f():\n    from kring.plans.models import Plan\n"
    found = _imported(ast.parse(source), ["kring", "cases"])
    assert found == [("kring.plans.models", 2)]
    assert upward([("cases", "plans", "kring/cases/x.py:2")]) == [
        "kring/cases/x.py:2: cases imports plans"
    ]
    relative = _imported(ast.parse("from ..plans import services\n"), ["kring", "cases"])
    assert relative == [("kring.plans", 1)]


def test_the_apps_import_graph_has_no_cycle():
    graph: dict[str, set[str]] = {app: set() for app in LAYERS}
    for source, target, _where in _edges():
        graph[source].add(target)
    seen: set[str] = set()
    path: list[str] = []

    def visit(app: str) -> None:
        assert app not in path, " -> ".join([*path[path.index(app) :], app])
        if app in seen:
            return
        path.append(app)
        for target in sorted(graph[app]):
            visit(target)
        path.pop()
        seen.add(app)

    for app in LAYERS:
        visit(app)
