"""Writes live in action functions, each in one transaction with its history entry; views only
read, call and render (issue 15, point 5). A scan of every view module for the ORM's writes
and for history entries written in a view."""

from __future__ import annotations

import ast
from pathlib import Path

KRING = Path(__file__).resolve().parents[2] / "kring"
# Calls that write: a history entry, or the ORM's writes on a model or a query set.
WRITES = {
    "log",
    "delete",
    "save",
    "create",
    "update_or_create",
    "get_or_create",
    "bulk_create",
    "bulk_update",
}
NOT_WRITES = {"logger", "logging", "messages"}


def _view_modules() -> list[Path]:
    return sorted(
        path
        for path in KRING.rglob("*.py")
        if path.name == "views.py"
        or path.name.endswith("_views.py")
        or (path.parent.name == "api" and path.name == "api.py")
    )


def writes_in(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver, name = ast.unparse(node.func.value), node.func.attr
        if receiver in NOT_WRITES:
            continue
        # ``update`` also names dict.update and set.update: only a query set's counts.
        queryset_update = name == "update" and ("objects" in receiver or "filter(" in receiver)
        if name in WRITES or queryset_update:
            found.append((node.lineno, ast.unparse(node)[:90]))
    return found


def test_the_scan_sees_the_writes_a_view_could_make():
    source = """
def view(request, case, item):
    item.delete()
    case.log(CaseAction.COST_REMOVED, user=None)
    Thing.objects.filter(pk=1).update(x=2)
    Thing.objects.create(x=1)
    context.update(a=1)
    logger.log(10, "fine")
"""
    assert [line for line, _call in writes_in(source)] == [3, 4, 5, 6]


def test_views_only_read_call_and_render():
    modules = _view_modules()
    assert len(modules) > 15  # the scan finds the view modules
    found = {
        f"{path.relative_to(KRING.parent)}:{line}": call
        for path in modules
        for line, call in writes_in(path.read_text())
    }
    assert found == {}, f"Move these writes into an action function: {found}"
