"""The precision check ("praktisch, duidelijk en precies"): every agreement needs what, who and
when; vague wording, a missing place and a plan without evaluation, contingency or monitor are
warnings that never block. No database: the check works on plain values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kring.plans import precision
from kring.plans.precision import AgreementText, Report, check_agreement, check_plan

MONDAY = dt.date(2026, 5, 4)
JUNE = dt.date(2026, 6, 30)


def weekly(what: str, *, who=("Jan", "Ayse"), where="de binnenplaats", **fields) -> AgreementText:
    return AgreementText(
        what=what, who=who, where=where, when="recurring", recurrence="elke maandag", **fields
    )


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def vague(findings) -> list[str]:
    return [f.message for f in findings if f.code == precision.VAGUE]


# --- Good agreements: nothing to say -------------------------------------------------------

GOOD = [
    "Jan en Ayse maken elke maandagavond om 20.00 uur samen de binnenplaats schoon.",
    "Piet belt op 12 mei de woningcorporatie over de kapotte verlichting.",
    "De jongeren spelen tot 22.00 uur op het plein en zetten daarna de muziek uit.",
    "Fatma haalt de kinderen op woensdag om 15.00 uur van school.",
    "Oma Riet past een keer per week op, op donderdag van 9 tot 17 uur.",
    "We komen eens per maand bij elkaar in het buurthuis.",
    "Mohammed brengt elke zaterdag de boodschappen naar zijn moeder.",
    "Karin stuurt na elke afspraak met de school een appje naar de groep.",
    "Het buurtteam komt op 1 juni langs om het probeersel van de speeltuin te bekijken.",
    "De regelmatigheid van het bezoek bespreken we op de evaluatie.",
    "Jan and Ayse clean the courtyard together every Monday at 8 pm.",
    "Peter calls the housing corporation about the broken lights on 12 May.",
    "The boys keep the music off after 10 pm on weekdays.",
    "Grandma looks after the children once a week, on Thursday.",
    "We do a try-out of the new rota in the first week of June.",
    "The country club lends us its hall for the pastry evening.",
    "Every entry in the visitors' book is signed by whoever visits.",
    "Sam retries the doorbell repair on Saturday morning.",
    "As soon as the letter from the school arrives, Fatma calls Karin.",
    "The soonest date that suits everyone is 3 June.",
]


@pytest.mark.parametrize("what", GOOD)
def test_a_precise_agreement_has_no_findings(what):
    assert check_agreement(weekly(what), 1) == []


@pytest.mark.parametrize("what", GOOD)
def test_a_precise_agreement_without_a_place_only_asks_where(what):
    findings = check_agreement(weekly(what, where=""), 3)
    assert codes(findings) == [precision.MISSING_WHERE]
    (where,) = findings
    assert not where.blocking
    assert (where.subject, where.index, where.field) == ("agreement", 3, "where")


# --- Vague agreements: a warning per phrase, quoted as written ------------------------------

VAGUE = [
    (
        "We proberen zo snel mogelijk minder lawaai te maken.",
        ["proberen", "zo snel mogelijk"],
    ),
    ("Maybe we meet now and then.", ["Maybe", "now and then"]),
    ("Jan probeert af en toe de stoep te vegen.", ["probeert", "af en toe"]),
    ("Misschien gaat Ayse eventueel mee naar de huisarts.", ["Misschien", "eventueel"]),
    ("We zien wel of het lukt met de muziek.", ["We zien wel"]),
    ("Piet belt zsm de gemeente.", ["zsm"]),
    ("Piet belt z.s.m. de gemeente.", ["z.s.m."]),
    ("Karin komt binnenkort wat vaker langs.", ["binnenkort", "wat vaker"]),
    ("We streven naar zo min mogelijk ruzie.", ["streven", "zo min mogelijk"]),
    ("In principe komt oma soms op zondag.", ["In principe", "soms"]),
    ("De jongeren zijn zo nu en dan een beetje stiller.", ["zo nu en dan", "een beetje"]),
    ("Op termijn gaan we regelmatig samen eten.", ["Op termijn", "regelmatig"]),
    ("Indien mogelijk helpt Mo, wellicht ook op zaterdag.", ["Indien mogelijk", "wellicht"]),
    ("Jan doet zo goed mogelijk mee als het lukt.", ["zo goed mogelijk", "als het lukt"]),
    ("Afentoe kookt Bram voor iedereen.", ["Afentoe"]),
    ("Het is mogelijk dat Piet meegaat.", ["mogelijk"]),  # a warning, never a block
    ("We will try to keep it down as much as possible.", ["try", "as much as possible"]),
    ("Peter calls the council ASAP.", ["ASAP"]),
    ("Peter calls the council a.s.a.p.", ["a.s.a.p."]),
    ("Perhaps grandma visits every now and then.", ["Perhaps", "every now and then"]),
    ("We'll see whether the boys are a bit quieter.", ["We'll see", "a bit"]),
    ("We\u2019ll see about the hedge.", ["We\u2019ll see"]),
    ("Sometimes Sam helps, occasionally Ayse too.", ["Sometimes", "occasionally"]),
    ("The corporation repairs the lights soon, eventually the door.", ["soon", "eventually"]),
    ("Jan tried, and is trying again, and tries tomorrow.", ["tried", "trying", "tries"]),
    ("We aim to meet regularly if possible.", ["aim to", "regularly", "if possible"]),
    ("As soon as we can, we paint the fence.", ["As soon as we can"]),
    ("Hopefully we might eat together once in a while.", ["Hopefully", "might", "once in a while"]),
    ("ZO SNEL\nMOGELIJK", ["ZO SNEL MOGELIJK"]),  # any case, any white space
    ("Jan probeert, Jan probeert het weer.", ["probeert"]),  # each phrase once
]


@pytest.mark.parametrize(("what", "phrases"), VAGUE)
def test_vague_wording_is_a_warning_that_quotes_the_phrase(what, phrases):
    assert precision.vague_phrases(what) == phrases
    findings = check_agreement(weekly(what), 2)
    assert codes(findings) == [precision.VAGUE] * len(phrases)
    for finding, phrase in zip(findings, phrases, strict=True):
        assert f"“{phrase}”" in finding.message
        assert (finding.subject, finding.index, finding.field) == ("agreement", 2, "what")
        assert not finding.blocking


def test_there_are_more_than_thirty_agreements_in_these_tests():
    assert len(GOOD) + len(VAGUE) >= 30


@pytest.mark.parametrize(
    "text",
    [
        "een keer per week",
        "eens per maand",
        "elke eerste zaterdag van de maand",
        "om de week op maandag",
        "tweewekelijks op dinsdag",
        "every other Tuesday",
        "twice a month",
        "probeersel",
        "proberenderwijs",
        "country, entry, pastry, sentry, retry",
        "a try-out",
        "soonest, sooner",
        "ooievaar",
        "nooit meer",  # "ooit" inside another word
        "onregelmatig",
        "misschienerwijs",
        "mogelijkheid, mogelijke",
        "a bite, a littlest",
        "as soon as the bell rings",
        "",
    ],
)
def test_words_inside_other_words_and_precise_frequencies_are_not_vague(text):
    assert precision.vague_phrases(text) == []


def test_vague_wording_in_how_often_is_flagged_on_that_field():
    agreement = AgreementText(
        what="Ayse kookt voor oma.",
        who=["Ayse"],
        where="bij oma",
        when="recurring",
        recurrence="af en toe op zondag",
    )
    (finding,) = check_agreement(agreement, 1)
    assert (finding.code, finding.field) == (precision.VAGUE, "recurrence")
    assert "“af en toe”" in finding.message


# --- What, who, when --------------------------------------------------------------------------


def test_an_empty_agreement_lacks_what_who_and_when():
    findings = check_agreement(AgreementText(), 4)
    assert codes(findings) == [
        precision.MISSING_WHAT,
        precision.MISSING_WHO,
        precision.MISSING_WHEN,
        precision.MISSING_WHERE,
    ]
    assert [f.blocking for f in findings] == [True, True, True, False]
    assert [f.field for f in findings] == ["what", "who", "when", "where"]
    assert {f.index for f in findings} == {4}


def test_white_space_is_not_an_answer():
    findings = check_agreement(
        AgreementText(
            what="  \n",
            who=[" "],
            who_organisation=" ",
            where=" ",
            when="recurring",
            recurrence="   ",
        ),
    )
    assert codes(findings) == [
        precision.MISSING_WHAT,
        precision.MISSING_WHO,
        precision.MISSING_WHEN,
        precision.MISSING_WHERE,
    ]


@pytest.mark.parametrize(
    ("who", "organisation", "missing"),
    [
        (["Jan"], "", False),
        (["Jan", "Ayse"], "", False),
        ([], "De woningcorporatie", False),  # an organisation alone is enough
        (["Jan"], "Buurtteam", False),
        ([], "", True),
        ([""], "", True),
    ],
)
def test_who_is_participants_or_an_organisation(who, organisation, missing):
    agreement = AgreementText(
        what="De lampen worden gerepareerd.",
        who=who,
        who_organisation=organisation,
        where="portiek",
        when="date",
        on=MONDAY,
    )
    assert (precision.MISSING_WHO in codes(check_agreement(agreement))) is missing


@pytest.mark.parametrize(
    ("when", "on", "until", "recurrence", "has_when"),
    [
        ("", None, None, "", False),
        ("", MONDAY, JUNE, "elke week", False),  # no kind chosen: nothing counts
        ("date", MONDAY, None, "", True),
        ("date", None, None, "", False),
        ("date", None, JUNE, "", False),
        ("period", MONDAY, JUNE, "", True),
        ("period", MONDAY, None, "", False),  # a period needs its end
        ("period", None, JUNE, "", False),  # and its start
        ("recurring", None, None, "elke maandagavond", True),
        ("recurring", MONDAY, None, "", False),  # recurring needs the words for how often
        ("recurring", None, None, "  ", False),
        ("sometimes", MONDAY, JUNE, "weekly", False),  # an unknown kind is no answer
    ],
)
def test_when_depends_on_its_kind(when, on, until, recurrence, has_when):
    agreement = AgreementText(
        what="Jan maait het gras.",
        who=["Jan"],
        where="tuin",
        when=when,
        on=on,
        until=until,
        recurrence=recurrence,
    )
    assert agreement.has_when is has_when
    assert (precision.MISSING_WHEN in codes(check_agreement(agreement))) is not has_when


# --- The plan as a whole -----------------------------------------------------------------------


def complete_plan(agreements=None, **overrides) -> Report:
    arguments: dict[str, Any] = {
        "requests": ["De woningcorporatie repareert de verlichting voor 1 juni."],
        "evaluations": 1,
        "contingency": "Wie merkt dat het niet werkt, belt Karin; zij roept iedereen bij elkaar.",
        "monitored": True,
        "monitor_note": "",
    }
    arguments.update(overrides)
    if agreements is None:
        agreements = [weekly(GOOD[0]), weekly(GOOD[10])]
    return check_plan(agreements, **arguments)


def test_a_complete_plan_has_no_findings():
    report = complete_plan()
    assert report.findings == []
    assert report.may_finalise
    assert report.blocking == [] and report.warnings == [] and report.for_plan() == []


def test_a_plan_without_agreements_is_told_so_but_may_be_finalised():
    report = complete_plan(agreements=[])
    assert codes(report.findings) == [precision.NO_AGREEMENTS]
    assert report.may_finalise


@pytest.mark.parametrize(
    ("overrides", "code", "subject"),
    [
        ({"evaluations": 0}, precision.NO_EVALUATION, "plan"),
        ({"contingency": ""}, precision.NO_CONTINGENCY, "contingency"),
        ({"contingency": " \n "}, precision.NO_CONTINGENCY, "contingency"),
        ({"monitored": False}, precision.NO_MONITOR, "monitor"),
    ],
)
def test_the_plan_needs_evaluation_contingency_and_a_monitor(overrides, code, subject):
    report = complete_plan(**overrides)
    assert codes(report.findings) == [code]
    (finding,) = report.for_plan()
    assert finding.subject == subject and not finding.blocking
    assert report.may_finalise  # warnings never block
    assert report.warnings == report.findings


def test_a_note_on_watching_over_the_plan_is_enough_without_a_named_monitor():
    report = complete_plan(monitored=False, monitor_note="Het buurtteam kijkt elke maand.")
    assert report.findings == []


def test_vague_contingency_requests_and_monitor_note_are_warned_about():
    report = complete_plan(
        requests=["De gemeente komt precies op 3 juni.", "De school belt misschien terug."],
        contingency="Dan proberen we het opnieuw.",
        monitor_note="Piet kijkt af en toe.",
    )
    found = [(f.subject, f.index, f.field) for f in report.findings]
    assert found == [
        ("request", 2, "request"),
        ("contingency", None, "contingency"),
        ("monitor", None, "monitor_note"),
    ]
    assert [f.code for f in report.findings] == [precision.VAGUE] * 3
    assert "“misschien”" in report.findings[0].message
    assert report.for_plan() == report.findings
    assert report.may_finalise


def test_findings_are_found_per_agreement_and_only_missing_what_who_when_block():
    report = complete_plan(
        agreements=[
            weekly(GOOD[0]),
            AgreementText(what="We proberen het.", who=["Jan"], where="thuis", when="date"),
            weekly("Maybe.", where=""),
            AgreementText(
                what="De corporatie repareert het hek.",
                who_organisation="Woningcorporatie",
                when="period",
                on=MONDAY,
                until=JUNE,
                where="achter het blok",
            ),
        ],
        evaluations=0,
    )
    assert report.for_agreement(1) == []
    assert codes(report.for_agreement(2)) == [precision.MISSING_WHEN, precision.VAGUE]
    assert codes(report.for_agreement(3)) == [precision.MISSING_WHERE, precision.VAGUE]
    assert report.for_agreement(4) == []
    assert codes(report.blocking) == [precision.MISSING_WHEN]
    assert not report.may_finalise
    assert codes(report.for_plan()) == [precision.NO_EVALUATION]
    assert len(report.warnings) == 4


def test_may_finalise_depends_on_blocking_findings_only():
    many_warnings = check_plan(
        [weekly("Misschien, af en toe, zo snel mogelijk.", where="")],
        requests=["probeer"],
        evaluations=0,
        contingency="",
    )
    assert len(many_warnings.findings) >= 6 and many_warnings.may_finalise
    one_block = complete_plan(agreements=[weekly(GOOD[0], who=())])
    assert codes(one_block.findings) == [precision.MISSING_WHO]
    assert not one_block.may_finalise
    assert Report().may_finalise


def test_messages_are_plain_sentences():
    findings = check_agreement(AgreementText(), 1)
    assert findings[0].message == "Say what will be done."
    assert findings[2].message == "Say when: a date, a period, or how often."
