"""The open-question check: conference questions judged as a careful person would.

The tables were written before the rules were tuned; the rules were then made to agree. The
few a person judges differently from any sensible word rule are kept in HARD, as strict
expected failures, instead of bending their expectations.
"""

import pytest
from django.utils.functional import Promise

from kring.cases.questions import (
    GOOD_EXAMPLES,
    QuestionWarning,
    check_question,
    detect_language,
)

CLOSED = "closed"
STEERING = "steering"
NOT_A_QUESTION = "not_a_question"
GOOD: set[str] = set()

DUTCH: list[tuple[str, set[str]]] = [
    # Street / neighbourhood
    ("Hoe kan de overlast in de Molenstraat stoppen?", GOOD),
    ("Hoe kan de overlast stoppen?", GOOD),
    ("Hoe zorgen we ervoor dat iedereen zich veilig voelt in de straat?", GOOD),
    ("Wat is er nodig zodat de kinderen weer veilig kunnen spelen?", GOOD),
    (
        "Wat kunnen de bewoners van de Vogelbuurt samen doen om de buurt leefbaar te houden?",
        GOOD,
    ),
    ("Hoe vinden de buren samen een weg uit deze ruzie?", GOOD),
    ("Waarom gaat het steeds mis op het plein achter de supermarkt?", GOOD),
    ("Moet de familie Jansen verhuizen?", {CLOSED, STEERING}),
    ("Wat kunnen de buren doen zodat de hangjongeren zich ook welkom voelen?", GOOD),
    ("Wie kan ervoor zorgen dat de hond van nummer 14 niet meer blaft?", GOOD),
    ("Wat is er nodig zodat de overlast van de scooters ophoudt?", GOOD),
    ("Wat kan er gebeuren zodat de vuilniszakken niet meer op straat staan?", GOOD),
    ("Vertrekt de familie Yilmaz als de overlast doorgaat?", {CLOSED, STEERING}),
    ("Helpt het als de gemeente de straatverlichting verbetert?", {CLOSED}),
    ("Zouden de buren samen een buurtfeest willen organiseren?", {CLOSED}),
    ("Is het verstandig om de politie in te schakelen?", {CLOSED, STEERING}),
    ("Hoe kan de huisbaas het gezin uit de woning zetten?", {STEERING}),
    ("Hoe zorgen we dat Tim een straatverbod krijgt?", {STEERING}),
    ("Hoe krijgt de buurt meer blauw op straat?", {STEERING}),
    ("Hoe kunnen we Karim laten inzien dat hij moet verhuizen?", {STEERING}),
    (
        "Wat is er nodig zodat de bewoners van de flat weer rustig kunnen slapen",
        {NOT_A_QUESTION},
    ),
    ("Kunnen de buren weer normaal met elkaar omgaan?", {CLOSED}),
    ("Zijn de buren bereid om met elkaar in gesprek te gaan?", {CLOSED}),
    ("Moeten de jongeren weg van het plein?", {CLOSED, STEERING}),
    ("Hoe zorgen we dat de jongeren van het plein vertrekken?", {STEERING}),
    ("Hoe krijgen we de buurman zover dat hij verhuist?", {STEERING}),
    ("Hoe kan de overlast stoppen door camera's te plaatsen?", {STEERING}),
    ("Hoe krijgen we de gemeente zover dat er een hek komt?", {STEERING}),
    ("Hoe zorgen we dat de jongeren ergens anders gaan hangen?", {STEERING}),
    ("De overlast rond de snackbar moet stoppen.", {NOT_A_QUESTION}),
    ("De familie Jansen moet verhuizen.", {NOT_A_QUESTION, STEERING}),
    # School
    ("Wat is er nodig zodat Daan weer met plezier naar school gaat?", GOOD),
    ("Hoe kunnen leerlingen, ouders en leraren samen het pesten in groep 7 stoppen?", GOOD),
    ("Wie kan helpen zodat Noor zich in de klas weer veilig voelt?", GOOD),
    ("Hoe kan de school ervoor zorgen dat Daan niet geschorst wordt?", GOOD),
    ("Hoe kan de school het pesten in groep 6 oppakken?", GOOD),
    ("Op welke manier kan de klas weer een fijne groep worden?", GOOD),
    ("Wat moet er gebeuren zodat Lisa weer naar school durft?", GOOD),
    ("Hoe kunnen de ouders en de school samen afspraken maken over het huiswerk?", GOOD),
    (
        "Hoe kunnen de jongeren van de voetbalclub en de buurtbewoners samen afspraken maken?",
        GOOD,
    ),
    ("Moet Sanne van school worden gestuurd?", {CLOSED, STEERING}),
    ("Hoe zorgen we dat de pesters geschorst worden?", {STEERING}),
    ("Mogen de jongens uit groep 8 nog samen op het schoolplein spelen?", {CLOSED}),
    ("Heeft de school genoeg gedaan om het pesten aan te pakken?", {CLOSED}),
    ("Het pesten in de klas van meester Ahmed", {NOT_A_QUESTION}),
    # Family
    ("Hoe kan Mila veilig thuis blijven wonen?", GOOD),
    ("Wat heeft het gezin nodig om de zorg voor oma samen te dragen?", GOOD),
    ("Wie kan er bijspringen als moeder naar het ziekenhuis moet?", GOOD),
    ("Wat heeft het gezin nodig nu vader uit huis is?", GOOD),
    ("Wat is er nodig zodat niemand zich gedwongen voelt om te verhuizen?", GOOD),
    ("Hoe kunnen we voorkomen dat het gezin moet verhuizen?", GOOD),
    ("Hoe kunnen Mo en zijn ouders na de diefstal weer vertrouwen in elkaar krijgen?", GOOD),
    ("Welke afspraken kunnen de ouders maken over de omgang met de kinderen?", GOOD),
    ("Wie kan Fatima helpen om na de scheiding haar leven weer op te pakken?", GOOD),
    ("Kan oma bij ons komen wonen, of moet ze naar een verpleeghuis?", {CLOSED}),
    ("Wat vindt de familie: moet opa naar een verpleeghuis?", {CLOSED}),
    ("Moet Jan verhuizen of blijven?", {CLOSED, STEERING}),
    ("Wat is beter voor de kinderen: bij vader wonen of bij moeder?", {CLOSED}),
    ("Wil Jan wel of niet meewerken aan de conferentie?", {CLOSED}),
    ("Hoe krijgen we oom Kees zover dat hij stopt met drinken?", {STEERING}),
    ("Hoe zorgen we dat vader uit huis gaat?", {STEERING}),
    ("Oma kan niet meer alleen wonen.", {NOT_A_QUESTION}),
    # Workplace / restoration after an incident
    ("Wat is er nodig om het vertrouwen in het team na het incident te herstellen?", GOOD),
    ("Hoe kunnen de collega's na de ruzie weer prettig samenwerken?", GOOD),
    ("Wie is er nodig om de schade na de inbraak samen te herstellen?", GOOD),
    ("Wat hebben de medewerkers nodig om zich weer gehoord te voelen?", GOOD),
    ("Hoe kan het team de draad weer oppakken na het ongeluk?", GOOD),
    ("Hoe herstellen we na de vechtpartij de rust in de kantine?", GOOD),
    (
        "Wat is er nodig zodat de medewerkers na de overval weer met een gerust hart werken?",
        GOOD,
    ),
    ("Moet Peter worden ontslagen?", {CLOSED, STEERING}),
    ("Kan het team nog samenwerken met de nieuwe leidinggevende?", {CLOSED}),
    ("Na de ruzie op de afdeling: kunnen de collega's nog samenwerken?", {CLOSED}),
    ("Hoe zorgen we dat Peter een boete krijgt?", {STEERING}),
    ("Hoe kan de afdeling weer veilig werken door meer toezicht te houden?", {STEERING}),
    ("Hoe kunnen we de directie overtuigen om de nachtdienst af te schaffen?", {STEERING}),
    ("Herstel van de verhoudingen op de afdeling na het incident", {NOT_A_QUESTION}),
    # More than one question in one text
    ("Hoe kan de overlast stoppen? Moeten de jongeren weg?", {CLOSED, STEERING}),
]

ENGLISH: list[tuple[str, set[str]]] = [
    # Street / neighbourhood
    ("How can the nuisance in Mill Street stop?", GOOD),
    ("How do we make sure everyone feels safe in our street again?", GOOD),
    ("What is needed so that the children can play safely on the square again?", GOOD),
    (
        "What can the residents of the Bird Quarter do together to keep the neighbourhood "
        "pleasant?",
        GOOD,
    ),
    ("Why do things keep going wrong on the square behind the supermarket?", GOOD),
    ("How do we get the youths to leave the square?", {STEERING}),
    ("How can we stop the nuisance by installing cameras?", {STEERING}),
    ("How can we get the landlord to evict the family?", {STEERING}),
    ("How can we convince the council to put up a fence?", {STEERING}),
    ("Should the Johnson family move out?", {CLOSED, STEERING}),
    ("What can the neighbours do so that the young people feel welcome too?", GOOD),
    ("Who can make sure the dog at number 14 stops barking at night?", GOOD),
    ("What is needed so that the nuisance from the scooters ends?", GOOD),
    ("What can happen so that the rubbish bags are no longer left on the street?", GOOD),
    ("Would the neighbours like to organise a street party together?", {CLOSED}),
    ("Is calling the police the best option?", {CLOSED, STEERING}),
    ("How can we get the police to patrol more often?", {STEERING}),
    ("How do we make sure Tim gets a restraining order?", {STEERING}),
    ("How can we make Karim see that he has to move out?", {STEERING}),
    ("How do we arrange for the neighbour to tear down his fence?", {STEERING}),
    (
        "What is needed so that the residents of the flats can sleep peacefully again",
        {NOT_A_QUESTION},
    ),
    ("Can the neighbours live together peacefully again?", {CLOSED}),
    ("Are the neighbours willing to talk to each other?", {CLOSED}),
    ("Is there anything the neighbours can do about the noise?", {CLOSED}),
    ("The noise from number 12 has to stop.", {NOT_A_QUESTION}),
    # School
    ("What does Liam need to enjoy going to school again?", GOOD),
    ("How can pupils, parents and teachers together stop the bullying in Year 6?", GOOD),
    ("Who can help so that Noor feels safe in class again?", GOOD),
    ("How can Liam get back to school after the summer?", GOOD),
    ("How can the school tackle the bullying in Year 5?", GOOD),
    ("In what way can the class become a close group again?", GOOD),
    ("What has to happen so that Lisa dares to go back to school?", GOOD),
    ("How can the parents and the school agree on homework together?", GOOD),
    (
        "How can the youths from the football club and the residents make agreements together?",
        GOOD,
    ),
    ("Should Emma be expelled?", {CLOSED, STEERING}),
    ("How do we make sure the bullies are suspended?", {STEERING}),
    ("Do the boys from Year 8 still feel welcome in the playground?", {CLOSED}),
    ("Has the school done enough to tackle the bullying?", {CLOSED}),
    ("Should the meeting be held at the school or at the community centre?", {CLOSED}),
    ("Bullying in Mr Ahmed's class", {NOT_A_QUESTION}),
    # Family
    ("How can Mila keep living safely at home?", GOOD),
    ("What does the family need to share the care for Grandma?", GOOD),
    ("Who can step in when Mum has to go into hospital?", GOOD),
    ("How can we make sure no one in the family has to move out?", GOOD),
    ("How can we prevent the family from having to move?", GOOD),
    ("How can Mo and his parents trust each other again after the theft?", GOOD),
    ("Which agreements can the parents make about contact with the children?", GOOD),
    ("Who can help Fatima pick up her life again after the divorce?", GOOD),
    ("Can Grandma come and live with us, or does she have to go to a care home?", {CLOSED}),
    ("What does the family think: should Grandad go into a care home?", {CLOSED}),
    ("Which is better for the children: living with Dad or with Mum?", {CLOSED}),
    ("Will Dad stop drinking or not?", {CLOSED}),
    ("Would the children be better off with their aunt?", {CLOSED}),
    ("How can we get Uncle Kees to stop drinking?", {STEERING}),
    ("How do we get Dad to move out of the house?", {STEERING}),
    ("Grandma can no longer live on her own.", {NOT_A_QUESTION}),
    # Workplace / restoration after an incident
    ("What is needed to restore trust in the team after the incident?", GOOD),
    ("How can colleagues work together well again after the row?", GOOD),
    ("How can the team recover after the fire in the warehouse?", GOOD),
    ("How can the team leave the incident behind and work together again?", GOOD),
    ("What do the staff need to feel heard again?", GOOD),
    ("How can the team pick up the thread after the accident?", GOOD),
    ("How do we restore calm in the canteen after the fight?", GOOD),
    ("What would help Sara feel at home in the new team?", GOOD),
    ("What is needed so that the workshop is safe again after the fire?", GOOD),
    (
        "What is needed so that staff can work with peace of mind again after the robbery?",
        GOOD,
    ),
    ("Should Peter be fired?", {CLOSED, STEERING}),
    ("Can the team still work with the new manager?", {CLOSED}),
    ("After the incident, does the team still trust the shift leader?", {CLOSED}),
    ("How can we make the night shift safer by hiring a security guard?", {STEERING}),
    ("How can we force management to scrap the night shift?", {STEERING}),
    ("Peter should be fined for what he did.", {NOT_A_QUESTION, STEERING}),
    # More than one question in one text
    ("How can the nuisance stop? Should the youths be banned from the square?", {CLOSED, STEERING}),
]

# A careful person judges these differently from what a transparent word rule can see
# without absurd special cases. They stay here, strictly expected to fail.
HARD: list[tuple[str, str, set[str]]] = [
    # The negation belongs to "lukt", not to "wegsturen"; the rule cannot see that scope.
    ("nl", "Waarom lukt het niet om de jongeren weg te sturen?", {STEERING}),
    # "verdwijnen"/"disappear" steers when people disappear, not when nuisance does
    # ("Hoe kan de overlast verdwijnen?" is good); the rules cannot tell people from things.
    ("nl", "Hoe kan de buurt ervoor zorgen dat de dealers verdwijnen?", {STEERING}),
    ("en", "How can the neighbourhood make sure the dealers disappear?", {STEERING}),
    # "uit"/"out of" removes people here, but "get the family out of debt" is a good goal.
    ("nl", "Hoe krijgen we de jongeren uit het portiek?", {STEERING}),
    ("en", "How do we get the youths out of the stairwell?", {STEERING}),
    # A demand on a named person in ordinary words: no removal, measure or pressure word.
    ("nl", "Hoe regelen we dat de buurman zijn schutting afbreekt?", {STEERING}),
    # Eviction in other words.
    ("en", "How can the landlord end the family's tenancy?", {STEERING}),
    # Keeping named people away, phrased with "stop … from" ("stop the nuisance" is good).
    ("en", "How do we stop the bullies from coming near Noor?", {STEERING}),
]


def codes(text: str, language: str | None = None) -> set[str]:
    return {warning.code for warning in check_question(text, language)}


@pytest.mark.parametrize(("text", "expected"), DUTCH)
def test_dutch_questions(text: str, expected: set[str]) -> None:
    assert codes(text, "nl") == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english_questions(text: str, expected: set[str]) -> None:
    assert codes(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), DUTCH + ENGLISH)
def test_the_language_is_detected_when_not_given(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


@pytest.mark.xfail(strict=True, reason="a person sees this; the word rules do not")
@pytest.mark.parametrize(("language", "text", "expected"), HARD)
def test_hard_questions(language: str, text: str, expected: set[str]) -> None:
    assert codes(text, language) == expected


def test_the_tables_are_large_and_varied() -> None:
    for table in (DUTCH, ENGLISH):
        assert len(table) >= 30
        good = [text for text, expected in table if not expected]
        assert len(good) >= 10
        for code in (CLOSED, STEERING, NOT_A_QUESTION):
            assert any(code in expected for _, expected in table)


def test_the_rules_agree_with_a_person() -> None:
    judged = [("nl", text, expected) for text, expected in DUTCH]
    judged += [("en", text, expected) for text, expected in ENGLISH]
    disagreements = [
        (text, expected, codes(text, language))
        for language, text, expected in judged
        if codes(text, language) != expected
    ]
    total = len(judged)
    agreed = total - len(disagreements)
    print(f"open-question check agrees with a person on {agreed}/{total} ({agreed / total:.0%})")
    hard_agreed = sum(codes(text, language) == expected for language, text, expected in HARD)
    print(f"hard cases (expected to fail): {hard_agreed}/{len(HARD)} agreed")
    assert disagreements == []
    assert agreed == total


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hoe kan de overlast in de straat stoppen?", "nl"),
        ("Moet de familie verhuizen?", "nl"),
        ("Wat is er nodig zodat iedereen zich veilig voelt?", "nl"),
        ("Kan Jan blijven?", "nl"),
        ("", "nl"),
        ("How can the nuisance in the street stop?", "en"),
        ("Should the family move out?", "en"),
        ("What is needed so that everyone feels safe?", "en"),
        ("Can the team still work together with the new manager?", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "\n\t", " ? ", "“ ”"])
def test_blank_text_gets_no_warnings(text: str) -> None:
    assert check_question(text) == []
    assert check_question(text, "en") == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_good_examples_get_no_warnings(language: str) -> None:
    assert len(GOOD_EXAMPLES[language]) == 5
    for example in GOOD_EXAMPLES[language]:
        assert detect_language(example) == language
        assert check_question(example) == []
        assert check_question(example, language) == []


def test_each_code_appears_once_and_messages_are_lazy() -> None:
    warnings = check_question(
        "Moet de familie Jansen verhuizen, of moet de politie de familie uit huis zetten "
        "door een boete te geven"
    )
    assert [warning.code for warning in warnings] == [CLOSED, STEERING, NOT_A_QUESTION]
    for warning in warnings:
        assert isinstance(warning, QuestionWarning)
        assert isinstance(warning.message, Promise)
        assert str(warning.message)


def test_quotes_and_spacing_do_not_matter() -> None:
    assert codes("  “Moet de familie Jansen verhuizen?”  ") == {CLOSED, STEERING}
    assert codes("'Hoe kan de overlast stoppen?'") == set()
    assert codes('"How can the nuisance stop ?"') == set()


def test_a_given_language_is_used() -> None:
    # "Is" starts a yes/no question in both languages; the English rules see "fired".
    assert codes("Is firing Peter the answer?", "en") == {CLOSED, STEERING}
    assert codes("Hoe kan de overlast stoppen?", "nl-NL") == set()
    assert codes("How can the nuisance stop?", "en-GB") == set()
