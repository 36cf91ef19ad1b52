"""The register of processing (docs/register-of-processing.toml) stays true to the models.

Every concrete and many-to-many field of every Kring model has an entry; no entry names a
field or model that is gone; every personal entry says why, on what legal basis and for how
long. Adding a field without deciding this fails here, naming the model and the field.

A model holds personal data when the register marks at least one of its fields personal. Each
such model is covered by exactly one registered part of ``kring.core.personal_data`` (what
anonymising, an export and erasure do with it, next to the model in its app), or is named in
``NOT_A_PERSONS_CASE_DATA`` with the reason; a model that is neither fails here by name.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from kring.core import personal_data

REGISTER_PATH = Path(__file__).resolve().parents[2] / "docs" / "register-of-processing.toml"

LEGAL_BASES = frozenset(
    {"consent", "contract", "legal_obligation", "public_task", "legitimate_interest"}
)
ENTRY_KEYS = frozenset(
    {"personal", "purpose", "legal_basis", "retention", "special", "note", "finding"}
)
# What a non-personal entry may carry besides ``personal``.
NON_PERSONAL_KEYS = frozenset({"personal", "note"})
TOP_LEVEL_TABLES = frozenset({"meta", "retention"})


def load_register() -> dict[str, Any]:
    with REGISTER_PATH.open("rb") as file:
        return tomllib.load(file)


REGISTER = load_register()


def kring_models() -> list[type[models.Model]]:
    return [
        model
        for app in apps.get_app_configs()
        if app.name.startswith("kring.")
        for model in app.get_models()
    ]


def field_names(model: type[models.Model]) -> list[str]:
    """Concrete fields (foreign keys by their field name) and many-to-many fields."""
    meta = model._meta
    return [f.name for f in meta.concrete_fields] + [f.name for f in meta.many_to_many]


def model_tables(register: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in register.items() if key not in TOP_LEVEL_TABLES}


def entries(register: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every field entry as ("app_label.Model.field", entry)."""
    return [
        (f"{label}.{name}", entry)
        for label, table in model_tables(register).items()
        for name, entry in table.items()
    ]


def missing_entries(register: dict[str, Any], kring: list[type[models.Model]]) -> list[str]:
    tables = model_tables(register)
    return [
        f"{model._meta.label}.{name}"
        for model in kring
        for name in field_names(model)
        if name not in tables.get(model._meta.label, {})
    ]


def stale_entries(register: dict[str, Any], kring: list[type[models.Model]]) -> list[str]:
    fields = {model._meta.label: set(field_names(model)) for model in kring}
    stale = []
    for label, table in model_tables(register).items():
        if label not in fields:
            stale.append(f"{label} (no such Kring model)")
            continue
        stale.extend(f"{label}.{name}" for name in table if name not in fields[label])
    return stale


def entry_problems(register: dict[str, Any]) -> list[str]:
    retention_keys = set(register.get("retention", {}))
    problems = []
    for where, entry in entries(register):
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a table")
            continue
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            problems.append(f"{where}: unknown key(s) {sorted(unknown)}")
        personal = entry.get("personal")
        if not isinstance(personal, bool):
            problems.append(f"{where}: personal must be true or false")
            continue
        if "special" in entry and not isinstance(entry["special"], bool):
            problems.append(f"{where}: special must be true or false")
        for key in ("note", "finding"):
            if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
                problems.append(f"{where}: {key} must be a sentence")
        if not personal:
            extra = set(entry) - NON_PERSONAL_KEYS
            if extra:
                problems.append(f"{where}: not personal, yet has {sorted(extra)}")
            continue
        purpose = entry.get("purpose")
        if not (isinstance(purpose, str) and purpose.strip()):
            problems.append(f"{where}: personal, but no purpose")
        if entry.get("legal_basis") not in LEGAL_BASES:
            problems.append(
                f"{where}: legal_basis {entry.get('legal_basis')!r} is not one of "
                f"{sorted(LEGAL_BASES)}"
            )
        if entry.get("retention") not in retention_keys:
            problems.append(
                f"{where}: retention {entry.get('retention')!r} is not a key of [retention]"
            )
    return problems


def test_every_field_of_every_kring_model_has_an_entry() -> None:
    missing = missing_entries(REGISTER, kring_models())
    assert not missing, (
        f"Fields without an entry in {REGISTER_PATH.name} — decide whether each is personal "
        "(and if so its purpose, legal_basis and retention): " + ", ".join(missing)
    )


def test_no_entry_names_a_field_or_model_that_is_gone() -> None:
    stale = stale_entries(REGISTER, kring_models())
    assert not stale, f"Entries in {REGISTER_PATH.name} for what no longer exists: " + ", ".join(
        stale
    )


def test_every_entry_is_complete() -> None:
    problems = entry_problems(REGISTER)
    assert not problems, "\n".join(problems)


def test_the_check_names_the_model_and_the_field_it_misses() -> None:
    """A field added without an entry is caught by name: shown by taking one entry away."""
    register = copy.deepcopy(REGISTER)
    del register["circle.Participant"]["email"]
    assert missing_entries(register, kring_models()) == ["circle.Participant.email"]

    del register["cases.ConflictOfInterest"]
    assert {f"cases.ConflictOfInterest.{name}" for name in ("id", "reason")} <= set(
        missing_entries(register, kring_models())
    )

    register["circle.Participant"]["shoe_size"] = {"personal": False}
    register["circle.Gone"] = {"id": {"personal": False}}
    assert stale_entries(register, kring_models()) == [
        "circle.Participant.shoe_size",
        "circle.Gone (no such Kring model)",
    ]

    register["circle.Participant"]["phone"] = {"personal": True, "purpose": "To call."}
    assert entry_problems(register) == [
        f"circle.Participant.phone: legal_basis None is not one of {sorted(LEGAL_BASES)}",
        "circle.Participant.phone: retention None is not a key of [retention]",
    ]


def personal_models(register: dict[str, Any]) -> set[str]:
    """The models with at least one field the register marks personal."""
    return {
        label
        for label, table in model_tables(register).items()
        if any(isinstance(entry, dict) and entry.get("personal") for entry in table.values())
    }


def test_every_model_with_personal_data_has_its_part() -> None:
    problems = personal_data.coverage_problems(personal_models(REGISTER))
    assert not problems, (
        "Register each model with personal data in its app's personal_data.py (what anonymising, "
        "an export and erasure do with it):\n" + "\n".join(problems)
    )


def test_the_check_names_a_model_whose_part_is_missing() -> None:
    """A model with personal data and no part is caught by name: shown by taking a part away,
    and by a model that starts to hold personal data."""
    personal = personal_models(REGISTER)
    part = personal_data.unregister("followup")
    try:
        assert personal_data.coverage_problems(personal) == [
            f"{label}: holds personal data, but no part of kring.core.personal_data covers it"
            for label in (
                "followup.AgreementOutcome",
                "followup.ConsentChange",
                "followup.ContactAttempt",
                "followup.Respondent",
            )
        ]
    finally:
        personal_data.register(part)
    register = copy.deepcopy(REGISTER)
    register["followup.StudyCase"]["study_id"] = {"personal": True}
    assert personal_data.coverage_problems(personal_models(register)) == [
        "followup.StudyCase: holds personal data, but no part of kring.core.personal_data covers it"
    ]
    del register["followup.ConsentChange"]
    assert personal_data.coverage_problems(personal_models(register))[1:] == [
        "followup.ConsentChange: covered, but holds no personal data"
    ]
    twice = personal_data.Part("twice", (apps.get_model("plans", "Plan"),), order=99)
    personal_data.register(twice)
    try:
        assert personal_data.coverage_problems(personal) == [
            "plans.Plan: covered by more than one part (plans, twice)"
        ]
    finally:
        personal_data.unregister("twice")
    assert personal_data.coverage_problems(personal) == []


def test_every_retention_key_is_explained_and_used() -> None:
    retention = REGISTER["retention"]
    assert retention, "[retention] is empty"
    for key, explanation in retention.items():
        assert isinstance(explanation, str) and len(explanation.split()) >= 8, (
            f"[retention] {key!r} needs a sentence with its reason"
        )
    used = {entry.get("retention") for _where, entry in entries(REGISTER)}
    unused = set(retention) - used
    assert not unused, f"[retention] keys no entry uses: {sorted(unused)}"


def test_meta() -> None:
    meta = REGISTER["meta"]
    assert meta["controller"].strip()
    assert meta["version"].strip()
    assert isinstance(meta["date"], dt.date)


OBVIOUSLY_PERSONAL = [
    "cases.Case.requester_name",
    "cases.Case.requester_email",
    "cases.Case.requester_phone",
    "cases.Case.description",
    "cases.Case.intake_notes",
    "cases.BottomLine.text",
    "circle.Participant.name",
    "circle.Participant.email",
    "circle.Participant.phone",
    "circle.Participant.postal_address",
    "circle.Participant.written_view",
    "circle.Participant.diet",
    "circle.Participant.accessibility",
    "accounts.User.email",
    "accounts.User.full_name",
    "messaging.OutboxMessage.to_addresses",
    "messaging.OutboxMessage.body_text",
    "circle.Participant.research_consent",
    "followup.ConsentChange.participant",
    "followup.Respondent.remark",
    "followup.Respondent.satisfaction",
]

SPECIAL = [
    "cases.Case.description",
    "cases.Case.intake_notes",
    "cases.BottomLine.text",
    "circle.Participant.written_view",
    "circle.Participant.diet",
    "circle.Participant.accessibility",
    "followup.Respondent.remark",
]

NOT_PERSONAL = [
    "cases.Case.id",
    "cases.Case.status",
    "cases.Case.version",
    "cases.Case.variant",
    "accounts.Region.name",
    "meetings.DateOption.starts_at",
    "followup.FollowUp.due_on",
    "followup.StudyCase.study_id",
]


def entry_for(dotted: str) -> dict[str, Any]:
    label, _dot, name = dotted.rpartition(".")
    entry: dict[str, Any] = REGISTER[label][name]
    return entry


@pytest.mark.parametrize("dotted", OBVIOUSLY_PERSONAL)
def test_obviously_personal_fields_are_marked_personal(dotted: str) -> None:
    assert entry_for(dotted)["personal"] is True, f"{dotted} is personal data"


@pytest.mark.parametrize("dotted", SPECIAL)
def test_sensitive_fields_are_marked_special(dotted: str) -> None:
    assert entry_for(dotted).get("special") is True, f"{dotted} may hold special-category data"


@pytest.mark.parametrize("dotted", NOT_PERSONAL)
def test_process_fields_are_not_marked_personal(dotted: str) -> None:
    assert entry_for(dotted)["personal"] is False, f"{dotted} is not personal data"
