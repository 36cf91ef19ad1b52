"""Personal data, app by app: what each app does with the personal data its models hold when a
case is anonymised after its retention period, when a person asks for their data (art. 15
AVG) and when they ask to be erased (art. 17 AVG).

Each app registers its part in ``<app>/personal_data.py``, next to its models, imported from
its ``AppConfig.ready()`` — the way pretix lets each module register its data shredders.
``kring.privacy`` runs what is registered: in one transaction, in the order of
:attr:`Part.order`, with the history entry. It knows no app's fields, and this module knows no
app: it sits at the bottom so that every app can register without importing the one above it
(a case and a participant are therefore typed ``Any`` here; each part's own functions name
them).

Every Kring model that the register of processing (``docs/register-of-processing.toml``)
marks as holding personal data is covered by exactly one part, or is named in
:data:`NOT_A_PERSONS_CASE_DATA` with the reason why privacy's machinery does not handle it;
``tests/privacy/test_register.py`` fails for a model that is neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Person:
    """One person whose rights are exercised, as the case held them before any change.

    ``kind`` is ``"requester"`` (then ``participant`` is None and the case holds them) or
    ``"participant"``. ``addresses`` are the email addresses Kring held for them: messages to
    these are theirs. ``label`` is what replaces their name when they are erased.
    """

    case: Any
    kind: str
    participant: Any | None = None
    addresses: tuple[str, ...] = ()
    label: str = ""


# What a part adds to a person's export: top-level sections (``"person"``, ``"plan"``, …). A
# section that is a dict is merged into the same section of an earlier part, so that one
# section can gather what several apps hold (the person's contacts, date answers, links).
Export = dict[str, Any]


@dataclass(frozen=True)
class Part:
    """One app's part of the personal data, for the models it names.

    ``anonymise(case)`` removes what the part holds about the people of a finished case and
    keeps its pseudonymised shape; ``export(person)`` returns its sections of a person's
    export; ``erase(person)`` removes what it holds about one person. A part without one of
    them holds nothing that it concerns (say why in a comment where it registers).
    """

    name: str
    models: tuple[type[models.Model], ...]
    # Parts run in ascending order, for all three: export sections appear in this order.
    order: int
    anonymise: Callable[[Any], None] | None = None
    export: Callable[[Person], Export] | None = None
    erase: Callable[[Person], None] | None = None

    @property
    def labels(self) -> list[str]:
        return [model._meta.label for model in self.models]


_parts: dict[str, Part] = {}


def register(part: Part) -> Part:
    """Register ``part``; registering the same name again replaces it (a reloaded module)."""
    _parts[part.name] = part
    return part


def unregister(name: str) -> Part:
    """Take a part out (for a test that shows what then fails)."""
    return _parts.pop(name)


def parts() -> list[Part]:
    """Every registered part, in the order they run."""
    return sorted(_parts.values(), key=lambda part: (part.order, part.name))


# Models the register marks as holding personal data that are not a person's case data, so
# that no part anonymises, exports or erases them: label → why.
NOT_A_PERSONS_CASE_DATA: dict[str, str] = {
    "accounts.User": "staff accounts: kept while employed (staff_employment+1y, staff_active)",
    "accounts.CoordinatorProfile": "a staff member's profile (staff_employment+1y)",
    "api.ApiClient": "a partner system and the staff member who made it (staff_employment+1y)",
    "api.ApiSubmission": "only the link to its case, which goes with the case (CASCADE)",
    "core.RateLimitHit": "a hashed key, deleted by the rate limiter after a day",
}


def coverage_problems(personal: Iterable[str]) -> list[str]:
    """What is wrong with the coverage of the models labelled in ``personal``: a model that
    no part covers and that is not excepted, a model covered twice, a part or exception naming
    a model that holds no personal data."""
    personal = set(personal)
    covered: dict[str, list[str]] = {}
    for part in parts():
        for label in part.labels:
            covered.setdefault(label, []).append(part.name)
    problems = [
        f"{label}: holds personal data, but no part of kring.core.personal_data covers it"
        for label in sorted(personal - set(covered) - set(NOT_A_PERSONS_CASE_DATA))
    ]
    problems += [
        f"{label}: covered by more than one part ({', '.join(names)})"
        for label, names in sorted(covered.items())
        if len(names) > 1
    ]
    problems += [
        f"{label}: covered, but holds no personal data"
        for label in sorted((set(covered) | set(NOT_A_PERSONS_CASE_DATA)) - personal)
    ]
    problems += [
        f"{label}: covered by {', '.join(covered[label])} and excepted too"
        for label in sorted(set(covered) & set(NOT_A_PERSONS_CASE_DATA))
    ]
    return problems
