"""Privacy is its own app (issue 15, point 2): each app registers what anonymising, an export and
erasure do with its own models, next to them; ``kring.privacy`` only runs what is registered. An
app whose part was not registered fails here — its people's data would otherwise be left behind
by anonymisation and erasure, and missing from their export, without a word.

That every model with personal data is covered is checked against the register of processing in
``tests/test_register.py``."""

from __future__ import annotations

import ast
from pathlib import Path

from kring.core import personal_data
from kring.privacy import retention, rights

# Every part, in the order they run. The export's sections follow it: the person (the
# requester from the case, a participant from the circle, then their date answers and
# invitations, then their links), the plan (attendance first), the research, the messages and
# who viewed their data. In erasure the plan comes after the circle: it replaces the full name
# the circle's part has just removed, from the participant loaded before anything changed.
PARTS = ["cases", "circle", "meetings", "circle.links", "plans", "followup", "messaging", "audit"]


def registered(step: str) -> list[str]:
    """The functions registered for ``step``, by ``module.function``, in the order they run."""
    return [
        f"{function.__module__}.{function.__qualname__}"
        for part in personal_data.parts()
        if (function := getattr(part, step)) is not None
    ]


def test_every_app_with_personal_data_registers_its_part_in_order():
    assert [part.name for part in personal_data.parts()] == PARTS


def test_anonymising_runs_every_apps_part():
    assert registered("anonymise") == [
        "kring.cases.personal_data.anonymise",
        "kring.circle.personal_data.anonymise",
        "kring.meetings.personal_data.anonymise",
        "kring.circle.personal_data.delete_links",
        "kring.plans.personal_data.anonymise",
        "kring.followup.personal_data.anonymise",
        "kring.messaging.personal_data.anonymise",
        "kring.audit.personal_data.anonymise",
    ]


def test_an_export_gathers_every_apps_part():
    assert registered("export") == [
        "kring.cases.personal_data.export",
        "kring.circle.personal_data.export",
        "kring.meetings.personal_data.export",
        "kring.circle.personal_data.export_links",
        "kring.plans.personal_data.export",
        "kring.followup.personal_data.export",
        "kring.messaging.personal_data.export",
        "kring.audit.personal_data.export",
    ]


def test_erasure_runs_every_part_that_holds_a_person():
    """The meeting keeps only links to the participant and what they answered; the access log
    is append-only and the erasure request is the proof."""
    assert registered("erase") == [
        "kring.cases.personal_data.erase",
        "kring.circle.personal_data.erase",
        "kring.circle.personal_data.erase_links",
        "kring.plans.personal_data.erase",
        "kring.followup.personal_data.erase",
        "kring.messaging.personal_data.erase",
    ]


def test_each_part_lives_next_to_its_models():
    for part in personal_data.parts():
        for step in ("anonymise", "export", "erase"):
            function = getattr(part, step)
            if function is None:
                continue
            for model in part.models:
                assert function.__module__ == f"{model._meta.app_config.name}.personal_data", (
                    part.name,
                    step,
                    model._meta.label,
                )


def imported_modules(path: str) -> set[str]:
    """The Kring modules ``path`` imports from, inside functions too."""
    source = Path(path).read_text()
    return {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kring.")
    }


def test_the_registry_imports_no_app():
    """It sits at the bottom, so that every app can register without importing a higher one."""
    assert imported_modules(personal_data.__file__) == set()


def test_the_rights_know_no_phase_model():
    """Exports and erasure reach the phases only through their parts: the rights import the
    models of the case (the person's case) and of the audit (the erasure request) only."""
    models = {m for m in imported_modules(rights.__file__) if m.endswith(".models")}
    assert models == {"kring.accounts.models", "kring.audit.models", "kring.cases.models"}


def test_retention_imports_only_what_its_periods_select():
    """Due cases (by status and history), old messages and old links: nothing more."""
    models = {m for m in imported_modules(retention.__file__) if m.endswith(".models")}
    assert models == {
        "kring.accounts.models",
        "kring.audit.models",
        "kring.cases.models",
        "kring.circle.models",
        "kring.messaging.models",
    }
