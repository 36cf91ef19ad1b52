"""Words, not codes: every history entry and every line of the access log reads as words, in
Dutch and in English (issue 14, point 6)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from kring.audit import log as audit
from kring.audit.models import AccessLog
from kring.cases.models import BottomLine, CaseAction, CaseEvent
from kring.circle.models import Participant
from kring.plans.services import KINDS

KRING = Path(__file__).resolve().parent.parent / "kring"
# The values an f-string's placeholder takes, per placeholder name, where codes are built.
FAMILIES = {"kind": sorted(KINDS)}


def _strings(node: ast.expr, module: ast.Module, dotted: str, where: str) -> set[str]:
    """Every action code the expression ``node`` can be."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, module, dotted, where) | _strings(
            node.orelse, module, dotted, where
        )
    if isinstance(node, ast.JoinedStr):
        codes = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                codes = {code + str(part.value) for code in codes}
                continue
            assert isinstance(part, ast.FormattedValue)
            name = ast.unparse(part.value)
            assert name in FAMILIES, f"{where}: add the values of {{{name}}} to FAMILIES"
            codes = {code + value for code in codes for value in FAMILIES[name]}
        return codes
    if isinstance(node, ast.Name):
        # A module constant, or a local name given string values in the same module.
        value = getattr(importlib.import_module(dotted), node.id, None)
        if isinstance(value, str):
            return {value}
        found: set[str] = set()
        for other in ast.walk(module):
            if isinstance(other, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == node.id for target in other.targets
            ):
                found |= _strings(other.value, module, dotted, where)
        assert found, f"{where}: cannot tell which action codes {node.id} holds"
        return found
    raise AssertionError(f"{where}: cannot tell which action code {ast.unparse(node)} is")


def action_codes_in_kring() -> dict[str, str]:
    """code → where it is used: every ``.log(code, ...)`` and ``CaseEvent(action=code)``."""
    codes: dict[str, str] = {}
    for path in sorted(KRING.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ast.parse(path.read_text())
        dotted = ".".join(path.relative_to(KRING.parent).with_suffix("").parts)
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(KRING.parent)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "log" and node.args:
                if isinstance(func.value, ast.Name) and func.value.id in ("logger", "logging"):
                    continue
                for code in _strings(node.args[0], module, dotted, where):
                    codes.setdefault(code, where)
            # CaseEvent(action="...") and CaseEvent.objects.create(action="..."): written
            # directly (the demo data); case.log() passes its own argument on, scanned above.
            if "CaseEvent" in ast.unparse(func):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        codes.setdefault(str(keyword.value.value), where)
    return codes


def test_the_scan_finds_the_codes_of_every_family():
    codes = action_codes_in_kring()
    # Plain strings, f-string families, module constants and local names all count.
    assert {
        "case.requested",
        "plan.agreement.added",
        "plan.evaluation.moved",
        "requester.accepted",
        "funding.changed",
        "meeting.updates",
        "status.changed",
    } <= set(codes)
    assert len(codes) > 50


def test_every_action_code_used_in_kring_has_a_label_in_both_languages():
    missing = {
        code: where
        for code, where in action_codes_in_kring().items()
        if code not in CaseAction.values
    }
    assert missing == {}, f"Add these history actions to CaseAction with a label: {missing}"
    untranslated = []
    for action in CaseAction:
        with translation.override("en"):
            english = str(action.label)
        with translation.override("nl"):
            dutch = str(action.label)
        assert english and "." not in english, action
        if dutch == english:
            untranslated.append(english)
    assert untranslated == [], f"No Dutch for: {untranslated}"


@pytest.mark.django_db
def test_the_history_shows_what_happened_in_words(world, client):
    for code in ("plan.agreement.added", "meeting.attendance", "plan.evaluation.moved"):
        world.case.log(code, user=world.coordinator)
    CaseEvent.objects.create(case=world.case, action="retired.code")
    client.force_login(world.coordinator)
    page = client.get(world.case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nl").text
    for code in ("plan.agreement.added", "meeting.attendance", "plan.evaluation.moved", "retired"):
        assert code not in page
    with translation.override("nl"):
        for action in (CaseAction.PLAN_AGREEMENT_ADDED, CaseAction.MEETING_ATTENDANCE):
            assert str(action.label) in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_access_log_names_roles_and_people_in_words(world, client, language):
    case = world.case
    participant = Participant.objects.create(case=case, name="Sanne Smit", category="resident")
    line = BottomLine.objects.create(
        case=case, text="Geen geweld", set_by="Wijkagent De Boer", mandate="politie"
    )
    gone = Participant.objects.create(case=case, name="Weg Persoon", category="resident")
    rows = [
        AccessLog(
            user=world.manager,
            role="regional_manager",
            action="view",
            object_type="case",
            case_reference=case.reference,
            person_type=kind,
            person_id=str(pk),
        )
        for kind, pk in (
            ("requester", case.pk),
            ("participant", participant.pk),
            ("bottom_line_setter", line.pk),
            ("participant", gone.pk),
        )
    ]
    rows.append(
        AccessLog(
            role="participant",
            action="view",
            object_type="plan",
            case_reference=case.reference,
            person_type="participant",
            person_id=str(participant.pk),
        )
    )
    audit.write(rows)
    gone.delete()
    client.force_login(world.manager)
    page = client.get(
        reverse("case_access", args=[case.reference]), HTTP_ACCEPT_LANGUAGE=language
    ).text
    for code in (
        "regional_manager",
        "(participant)",
        "bottom_line_setter",
        "requester #",
        "participant #",
        "· case",
        "· plan<",
        f"#{participant.pk}",
        ">ok<",
    ):
        assert code not in page, code
    for name in (case.requester_name, "Sanne Smit", "Wijkagent De Boer"):
        assert name in page
    words = {
        "nl": ("(regiomanager)", "bekeken · de zaak", "een deelnemer", "bekeken · het plan"),
        "en": ("(regional manager)", "viewed · the case", "a participant", "viewed · the plan"),
    }
    for phrase in words[language]:
        assert phrase in page, phrase
