"""Words, not codes: every history entry and every line of the access log reads as words, in
Dutch and in English (issue 14, point 6)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from kring.audit import log as audit
from kring.audit.models import AccessLog
from kring.cases.models import BottomLine, CaseAction, CaseEvent
from kring.circle.models import Participant
from kring.plans.services import KINDS, item_action

KRING = Path(__file__).resolve().parents[2] / "kring"
VERBS = ("added", "changed", "removed", "moved")


def _is_member(node: ast.expr, module: ast.Module, where: str) -> bool:
    """Whether ``node`` is sure to be a CaseAction: ``CaseAction.X``, ``item_action(…)`` (a
    member for every kind and verb, tested below), a conditional of those, or a name the module
    binds to those only."""
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "CaseAction":
        return node.attr in CaseAction.__members__
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("item_action", "CaseAction"):
        return True
    if isinstance(node, ast.IfExp):
        return _is_member(node.body, module, where) and _is_member(node.orelse, module, where)
    if isinstance(node, ast.Name):
        values = [
            other.value
            for other in ast.walk(module)
            if isinstance(other, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in other.targets)
        ]
        return bool(values) and all(_is_member(value, module, where) for value in values)
    return False


def history_writes_in_kring() -> tuple[list[str], dict[str, str]]:
    """Every ``.log(…)`` whose action is not sure to be a CaseAction (where), and the codes of
    entries written directly with ``CaseEvent(action="…")`` (the demo data) → where."""
    loose: list[str] = []
    direct: dict[str, str] = {}
    for path in sorted(KRING.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ast.parse(path.read_text())
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(KRING.parent)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "log" and node.args:
                if isinstance(func.value, ast.Name) and func.value.id in ("logger", "logging"):
                    continue
                if not _is_member(node.args[0], module, where):
                    loose.append(f"{where}: {ast.unparse(node.args[0])}")
            if "CaseEvent" in ast.unparse(func):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        direct.setdefault(str(keyword.value.value), where)
    return loose, direct


def test_every_history_entry_is_written_with_a_case_action():
    loose, direct = history_writes_in_kring()
    assert loose == [], f"Case.log takes a CaseAction, not a code: {loose}"
    unknown = {code: where for code, where in direct.items() if code not in CaseAction.values}
    assert unknown == {}, f"Add these history actions to CaseAction with a label: {unknown}"
    assert "case.requested" in direct  # the scan sees the demo's entries


def test_the_scan_catches_a_bare_code():
    module = ast.parse('case.log("plan.changed", user=None)\nx = "status.changed"\ncase.log(x)')
    calls = [n for n in ast.walk(module) if isinstance(n, ast.Call)]
    assert not any(_is_member(call.args[0], module, "here") for call in calls)
    module = ast.parse("A = CaseAction.PLAN_CHANGED\ncase.log(A)\ncase.log(item_action(k, v))")
    calls = [
        n
        for n in ast.walk(module)
        if isinstance(n, ast.Call) and ast.unparse(n.func) != "item_action"
    ]
    assert all(_is_member(call.args[0], module, "here") for call in calls)


def test_every_plan_item_action_is_a_member():
    for kind in KINDS:
        for verb in VERBS:
            assert isinstance(item_action(kind, verb), CaseAction)


@pytest.mark.django_db
def test_a_bare_code_is_refused(world):
    with pytest.raises(TypeError):
        world.case.log("plan.changed", user=world.coordinator)
    assert not CaseEvent.objects.filter(case=world.case, action="plan.changed").exists()


def test_every_case_action_has_a_label_in_both_languages():
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
        world.case.log(CaseAction(code), user=world.coordinator)
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
