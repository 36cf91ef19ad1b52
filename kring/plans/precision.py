"""The precision check, after the brochure's "praktisch, duidelijk en precies".

Each agreement needs what, who and when; without them the plan cannot be finalised. The rest
are warnings that never block: vague wording ("proberen", "zo snel mogelijk", "maybe"…) in an
agreement, a request or the contingency; an agreement without a place; a plan without an
evaluation moment, without a contingency or without anyone watching over it.

Vague words are matched as whole words or phrases, casefolded, in Dutch and English at once
(a plan may mix them); the finding quotes the phrase as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Blocking: the plan is not finalised while an agreement lacks one of these.
MISSING_WHAT = "missing_what"
MISSING_WHO = "missing_who"
MISSING_WHEN = "missing_when"
# Warnings.
VAGUE = "vague"
MISSING_WHERE = "missing_where"
NO_AGREEMENTS = "no_agreements"
NO_EVALUATION = "no_evaluation"
NO_CONTINGENCY = "no_contingency"
NO_MONITOR = "no_monitor"

BLOCKING = frozenset({MISSING_WHAT, MISSING_WHO, MISSING_WHEN})

MESSAGES: dict[str, Promise] = {
    MISSING_WHAT: _("Say what will be done."),
    MISSING_WHO: _("Say who does it: one or more participants, or an organisation."),
    MISSING_WHEN: _("Say when: a date, a period, or how often."),
    MISSING_WHERE: _("Where does it happen? Add a place if it matters."),
    NO_AGREEMENTS: _("The plan has no agreements yet."),
    NO_EVALUATION: _("Add at least one evaluation moment: when will you look at how it goes?"),
    NO_CONTINGENCY: _("Write down what you will do if something does not work."),
    NO_MONITOR: _("Say who watches over the plan."),
}

VAGUE_MESSAGE = _("“%(phrase)s” is vague. Say exactly what, who and when, so everyone knows.")

# Phrases that leave open whether, when or how much something happens.
VAGUE_PHRASES: dict[str, tuple[str, ...]] = {
    "nl": (
        "proberen",
        "probeer",
        "probeert",
        "probeerden",
        "probeerde",
        "geprobeerd",
        "zo snel mogelijk",
        "zsm",
        "z.s.m.",
        "zo spoedig mogelijk",
        "zo mogelijk",
        "indien mogelijk",
        "als het kan",
        "waar mogelijk",
        "misschien",
        "eventueel",
        "wellicht",
        "mogelijk",
        "af en toe",
        "soms",
        "zo nu en dan",
        "binnenkort",
        "op termijn",
        "ooit",
        "regelmatig",
        "wat vaker",
        "wat meer",
        "een beetje",
        "zoveel mogelijk",
        "zo veel mogelijk",
        "zo min mogelijk",
        "zo goed mogelijk",
        "zo vaak mogelijk",
        "als het lukt",
        "zodra het kan",
        "afentoe",
        "z.s.m",
        "hopelijk",
        "streven",
        "streeft",
        "we zien wel",
        "nog bekijken",
        "in principe",
    ),
    "en": (
        "try",
        "tries",
        "trying",
        "tried",
        "attempt to",
        "as soon as possible",
        "asap",
        "a.s.a.p.",
        "a.s.a.p",
        "as soon as we can",
        "as soon as you can",
        "as soon as they can",
        "as soon as i can",
        "if we can",
        "whenever possible",
        "wherever possible",
        "as often as possible",
        "as far as possible",
        "if possible",
        "where possible",
        "when possible",
        "maybe",
        "perhaps",
        "possibly",
        "might",
        "hopefully",
        "now and then",
        "every now and then",
        "from time to time",
        "sometimes",
        "occasionally",
        "once in a while",
        "soon",
        "sooner or later",
        "at some point",
        "eventually",
        "someday",
        "regularly",
        "a bit",
        "a little",
        "more or less",
        "as much as possible",
        "aim to",
        "we will see",
        "we'll see",
        "in principle",
    ),
}


# Phrases that contain a vague word but are precise: matched, so that the vague word inside
# is not, and then ignored. "As soon as the letter arrives" is a clear moment; "as soon as
# possible" (listed above, and longer, so it wins) is not.
NOT_VAGUE: tuple[str, ...] = ("as soon as",)

# Typographic apostrophes read as plain ones ("we’ll see"); one character for one, so that
# positions in the text stay the same.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so that "zo snel mogelijk" wins over "mogelijk". A word joined by a
    # hyphen is part of a longer word ("try-out"), not a phrase of its own.
    ordered = sorted(set(phrases), key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in p.split()) for p in ordered)
    return re.compile(rf"(?<![\w.])(?<!\w-)(?:{alternatives})(?!\w|-\w)", re.IGNORECASE)


VAGUE_PATTERN = _pattern(
    [phrase for phrases in VAGUE_PHRASES.values() for phrase in phrases] + list(NOT_VAGUE)
)
_NOT_VAGUE = frozenset(phrase.casefold() for phrase in NOT_VAGUE)


def vague_phrases(text: str) -> list[str]:
    """The vague phrases in ``text``, as written, in order, each once."""
    text = text or ""
    found: list[str] = []
    seen: set[str] = set()
    for match in VAGUE_PATTERN.finditer(text.translate(_APOSTROPHES)):
        key = " ".join(match.group(0).split()).casefold()
        if key in _NOT_VAGUE or key in seen:
            continue
        seen.add(key)
        found.append(" ".join(text[match.start() : match.end()].split()))
    return found


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    # Where: "agreement", "request", "contingency", "monitor", "plan"; and which item.
    subject: str = "plan"
    index: int | None = None  # 1-based position of the agreement or request
    field: str = ""

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING


@dataclass(frozen=True)
class AgreementText:
    """What the check needs of an agreement, whether saved or still being typed."""

    what: str = ""
    who: Sequence[str] = ()
    who_organisation: str = ""
    where: str = ""
    when: str = ""
    on: object = None
    until: object = None
    recurrence: str = ""

    @property
    def has_when(self) -> bool:
        if self.when == "date":
            return self.on is not None
        if self.when == "period":
            return self.on is not None and self.until is not None
        if self.when == "recurring":
            return bool(self.recurrence.strip())
        return False


def _message(code: str) -> str:
    return str(MESSAGES[code])


def _vague(text: str, subject: str, index: int | None, field_name: str) -> list[Finding]:
    return [
        Finding(VAGUE, str(VAGUE_MESSAGE % {"phrase": phrase}), subject, index, field_name)
        for phrase in vague_phrases(text)
    ]


def check_agreement(agreement: AgreementText, index: int | None = None) -> list[Finding]:
    """What is missing or vague in one agreement."""
    findings: list[Finding] = []
    if not agreement.what.strip():
        findings.append(Finding(MISSING_WHAT, _message(MISSING_WHAT), "agreement", index, "what"))
    if not any(name.strip() for name in agreement.who) and not agreement.who_organisation.strip():
        findings.append(Finding(MISSING_WHO, _message(MISSING_WHO), "agreement", index, "who"))
    if not agreement.has_when:
        findings.append(Finding(MISSING_WHEN, _message(MISSING_WHEN), "agreement", index, "when"))
    if not agreement.where.strip():
        findings.append(
            Finding(MISSING_WHERE, _message(MISSING_WHERE), "agreement", index, "where")
        )
    findings += _vague(agreement.what, "agreement", index, "what")
    findings += _vague(agreement.recurrence, "agreement", index, "recurrence")
    return findings


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocking]

    @property
    def may_finalise(self) -> bool:
        return not self.blocking

    def for_agreement(self, index: int) -> list[Finding]:
        return [f for f in self.findings if f.subject == "agreement" and f.index == index]

    def for_plan(self) -> list[Finding]:
        return [f for f in self.findings if f.subject != "agreement"]


def check_plan(
    agreements: Sequence[AgreementText],
    *,
    requests: Sequence[str] = (),
    evaluations: int = 0,
    contingency: str = "",
    monitored: bool = False,
    monitor_note: str = "",
) -> Report:
    """The whole plan: every agreement, then what the plan as a whole needs."""
    report = Report()
    if not agreements:
        report.findings.append(Finding(NO_AGREEMENTS, _message(NO_AGREEMENTS)))
    for index, agreement in enumerate(agreements, start=1):
        report.findings += check_agreement(agreement, index)
    for index, text in enumerate(requests, start=1):
        report.findings += _vague(text, "request", index, "request")
    if evaluations < 1:
        report.findings.append(Finding(NO_EVALUATION, _message(NO_EVALUATION)))
    if not contingency.strip():
        report.findings.append(
            Finding(NO_CONTINGENCY, _message(NO_CONTINGENCY), "contingency", field="contingency")
        )
    else:
        report.findings += _vague(contingency, "contingency", None, "contingency")
    if not monitored and not monitor_note.strip():
        report.findings.append(Finding(NO_MONITOR, _message(NO_MONITOR), "monitor"))
    report.findings += _vague(monitor_note, "monitor", None, "monitor_note")
    return report
