"""What the demo's cases are made of: names, streets, descriptions, conference questions,
agreements, remarks and follow-up answers, the paths through the lifecycle and how often each
status occurs. Both the story-like generator (:mod:`kring.demo.generator`) and the bulk seeder
(:mod:`kring.demo.bulk`) draw from these.
"""

from __future__ import annotations

from kring.accounts.models import Organisation
from kring.cases.models import Assignment, Status, Variant
from kring.circle.models import Category
from kring.followup.models import AgreementOutcome

FIRST_NAMES = [
    "Anna",
    "Bram",
    "Daan",
    "Emma",
    "Fleur",
    "Noah",
    "Sanne",
    "Lucas",
    "Julia",
    "Sem",
    "Mohamed",
    "Yasmina",
    "Ahmet",
    "Elif",
    "Kevin",
    "Joyce",
    "Wim",
    "Truus",
    "Gerrit",
    "Ineke",
    "Samira",
    "Youssef",
    "Agnieszka",
    "Tomasz",
    "Rik",
    "Lotte",
    "Jeroen",
    "Esther",
    "Kofi",
    "Naomi",
]
LAST_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "El Idrissi",
    "Öztürk",
    "Kowalski",
    "Boateng",
    "Wijngaard",
    "Postma",
    "Kramer",
    "van Vliet",
    "Verbeek",
    "Koster",
]
STREETS = [
    "Molenstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Dorpsstraat",
    "Julianalaan",
    "Beatrixstraat",
    "Lindenlaan",
    "Eikenlaan",
    "Parkweg",
    "Stationsweg",
    "Marktplein",
    "Vondelstraat",
    "Rembrandtplein",
    "Havenkade",
    "Tulpstraat",
    "Berkenhof",
    "Sportlaan",
    "Zuiderpark",
]
PLACES = {
    Variant.NEIGHBOURHOOD: [
        "bewoners van de {street}",
        "het speelveld aan de {street}",
        "flat {street} 2–40",
        "buurtvereniging {street}",
        "de hangplek bij winkelcentrum {street}",
    ],
    Variant.SCHOOL: [
        "groep 7 van OBS De Regenboog",
        "klas 2B van het Stedelijk College",
        "mbo-opleiding Zorg, klas 3",
        "CBS De Wegwijzer, bovenbouw",
        "het schoolplein {street}",
    ],
    Variant.FAMILY: [
        "familie {last}",
        "gezin {last}",
        "de kinderen van {first} {last}",
    ],
    Variant.RESTORATION: [
        "na de brand aan de {street}",
        "na de vechtpartij bij sporthal {street}",
        "winkeliers en jongeren {street}",
        "na de inbraak bij buurthuis {street}",
    ],
}
DESCRIPTIONS = {
    Variant.NEIGHBOURHOOD: [
        "Al maanden overlast van een groep jongeren op het pleintje: geluid tot laat in de "
        "nacht, rommel en bewoners die zich onveilig voelen. Er zijn al gesprekken met de "
        "wijkagent geweest, maar de spanning loopt op.",
        "Ruzie tussen buren over parkeren en afval is uit de hand gelopen. Mensen groeten "
        "elkaar niet meer en er zijn bedreigingen geuit.",
        "Bewoners ergeren zich aan troep op straat en voelen zich niet gehoord door de "
        "woningcorporatie en de gemeente.",
    ],
    Variant.SCHOOL: [
        "In de klas wordt gepest, ook via de groepsapp. Ouders verwijten elkaar en de school "
        "dat er niets gebeurt.",
        "Onrust in de bovenbouw na een conflict tussen twee groepen leerlingen; ouders "
        "overwegen hun kinderen van school te halen.",
    ],
    Variant.FAMILY: [
        "Na de scheiding lukt het niet om afspraken te maken over de kinderen. De familie "
        "wil samen een plan maken.",
        "Opa is steeds meer zorg nodig en de familie is het oneens over wie wat doet.",
    ],
    Variant.RESTORATION: [
        "Na een incident in de buurt willen betrokkenen en bewoners samen het contact "
        "herstellen en voorkomen dat het opnieuw gebeurt.",
        "Na een vechtpartij bij de sporthal zijn de verhoudingen tussen twee families en de "
        "vereniging ernstig verstoord.",
    ],
}
QUESTIONS = {
    Variant.NEIGHBOURHOOD: [
        "Hoe kan de overlast stoppen?",
        "Hoe kunnen we weer prettig met elkaar in de straat wonen?",
        "Hoe kunnen wij als groep een plek krijgen in de buurt?",
        "Wat is er nodig zodat iedereen zich weer veilig voelt op het plein?",
    ],
    Variant.SCHOOL: [
        "Hoe kunnen we de sfeer in de klas weer goed krijgen?",
        "Wat is er nodig zodat alle kinderen zich veilig voelen op school?",
        "Hoe gaan ouders, leerlingen en school samen om met pesten?",
    ],
    Variant.FAMILY: [
        "Hoe zorgen we er als familie voor dat de kinderen goed opgroeien?",
        "Wie kan wat doen in de zorg voor opa, en hoe houden we dat vol?",
    ],
    Variant.RESTORATION: [
        "Wat is er nodig om de schade te herstellen?",
        "Hoe kunnen we voorkomen dat dit opnieuw gebeurt?",
    ],
}

INVOLVED = {
    Variant.NEIGHBOURHOOD: "Bewoners van de straat, de jongeren en hun ouders, de wijkagent, "
    "de woningcorporatie.",
    Variant.SCHOOL: "De leerlingen van de klas, hun ouders, de leerkracht en de directeur.",
    Variant.FAMILY: "De ouders, de kinderen, grootouders, een tante en een buurvrouw.",
    Variant.RESTORATION: "De betrokkenen bij het incident, hun familie en de wijkagent.",
}
INTAKE_NOTES = (
    "Gesprek met de aanvrager gevoerd. Vraag samen scherp gemaakt; aanvrager wil graag dat "
    "ook de jongeren zelf aan tafel komen."
)
# Who usually pays, by variant: kinds of organisation in ORGANISATIONS.
FINANCIER_KINDS = {
    Variant.NEIGHBOURHOOD: [Organisation.Kind.MUNICIPALITY, Organisation.Kind.HOUSING],
    Variant.SCHOOL: [Organisation.Kind.SCHOOL, Organisation.Kind.MUNICIPALITY],
    Variant.FAMILY: [Organisation.Kind.MUNICIPALITY, Organisation.Kind.CARE],
    Variant.RESTORATION: [Organisation.Kind.MUNICIPALITY, Organisation.Kind.PROVINCE],
}
# The circle of a case: categories by variant (the first is the requester's side).
CIRCLE_CATEGORIES = {
    Variant.NEIGHBOURHOOD: [
        Category.RESIDENT,
        Category.RESIDENT,
        Category.DIRECTLY_INVOLVED,
        Category.NEIGHBOUR,
        Category.PARENT,
        Category.POLICE,
        Category.HOUSING,
        Category.YOUTH_WORKER,
        Category.MUNICIPAL,
        Category.ENTREPRENEUR,
    ],
    Variant.SCHOOL: [
        Category.PUPIL,
        Category.PUPIL,
        Category.PARENT,
        Category.PARENT,
        Category.TEACHER,
        Category.SCHOOL_HEAD,
        Category.YOUTH_WORKER,
        Category.EXPERT,
    ],
    Variant.FAMILY: [
        Category.DIRECTLY_INVOLVED,
        Category.FAMILY,
        Category.FAMILY,
        Category.FAMILY,
        Category.FRIEND,
        Category.NEIGHBOUR,
        Category.PROFESSIONAL,
    ],
    Variant.RESTORATION: [
        Category.DIRECTLY_INVOLVED,
        Category.DIRECTLY_INVOLVED,
        Category.FAMILY,
        Category.FRIEND,
        Category.POLICE,
        Category.COLLEAGUE,
    ],
}
WITH_CIRCLE = {
    Status.PREPARATION,
    Status.SCHEDULED,
    Status.HELD,
    Status.PLAN_WITHOUT_MEETING,
    Status.PLAN_DISTRIBUTED,
    Status.AFTERCARE,
    Status.FOLLOW_UP,
    Status.CLOSED,
    Status.STOPPED,
}
# A plan is being written (HELD, without a meeting) or was accepted and distributed.
WITH_PLAN = {
    Status.HELD,
    Status.PLAN_WITHOUT_MEETING,
    Status.PLAN_DISTRIBUTED,
    Status.AFTERCARE,
    Status.FOLLOW_UP,
    Status.CLOSED,
}
PLAN_ACCEPTED = {Status.PLAN_DISTRIBUTED, Status.AFTERCARE, Status.FOLLOW_UP, Status.CLOSED}
WITH_MEETING = {
    Status.SCHEDULED,
    Status.HELD,
    Status.PLAN_DISTRIBUTED,
    Status.AFTERCARE,
    Status.FOLLOW_UP,
    Status.CLOSED,
}

# What circles agree, per variant: (what, how often or "" for a date or a period, where).
# {a}, {b}: people of the circle; {street}: the case's street.
AGREEMENTS = {
    Variant.NEIGHBOURHOOD: [
        ("{a} zet de muziek na 22.00 uur zachter en sluit de ramen.", "elke avond", ""),
        ("{a} belt eerst {b} als er iets speelt, voordat iemand de politie belt.", "", ""),
        ("{a} en {b} maken samen het trappenhuis schoon.", "elke eerste zaterdag", "{street}"),
        ("{a} organiseert een straatbarbecue voor de hele straat.", "", "Speelveld {street}"),
        (
            "{a} zet de containers op dinsdagavond buiten en haalt ze woensdag weer op.",
            "elke dinsdag",
            "{street}",
        ),
        ("{a} en {b} drinken samen koffie om te bespreken hoe het gaat.", "elke maand", ""),
    ],
    Variant.SCHOOL: [
        ("{a} praat met de mentor over hoe het in de klas gaat.", "elke vrijdag", "School"),
        ("{a} en {b} fietsen samen naar school.", "elke schooldag", ""),
        ("{a} maakt met de klas vijf klassenregels en hangt ze op.", "", "Lokaal 12"),
        ("{a} meldt pesten via de app direct bij de mentor.", "", ""),
        ("{a} en {b} helpen elkaar met huiswerk in de bibliotheek.", "elke woensdag", ""),
    ],
    Variant.FAMILY: [
        ("{a} haalt de kinderen op woensdag uit school.", "elke woensdag", "Basisschool"),
        ("{a} en {b} bellen met oma.", "elke zondag", ""),
        ("{a} zoekt met {b} een sportclub en gaat mee naar de eerste training.", "", ""),
        ("{a} past op de kinderen zodat {b} naar de sportschool kan.", "elke dinsdagavond", ""),
        ("{a} regelt de boodschappen voor opa.", "elke zaterdag", ""),
    ],
    Variant.RESTORATION: [
        (
            "{a} biedt {b} excuses aan in een gesprek, met de coördinator van het herstel.",
            "",
            "Buurthuis",
        ),
        ("{a} betaalt de schade in drie delen terug aan {b}.", "", ""),
        ("{a} en {b} groeten elkaar weer op het werk.", "elke werkdag", ""),
        ("{a} gaat met {b} mee naar het eerste gesprek met de wijkagent.", "", ""),
    ],
}
ORGANISATION_REQUESTS = [
    ("Woningcorporatie", "Repareert de verlichting in de portiek en bij de fietsenstalling."),
    ("Gemeente", "Plaatst een extra afvalbak bij het speelveld."),
    ("Wijkteam", "Helpt bij het aanvragen van schuldhulp."),
    ("School", "Geeft de klas een vast moment met de vertrouwenspersoon."),
]

# Remarks at the follow-up: about the plan, never naming anyone.
REMARKS = [
    "",
    "",
    "",
    "",
    "Het gaat beter dan voor de conferentie.",
    "Een paar afspraken zijn lastig vol te houden.",
    "We spreken elkaar weer regelmatig.",
    "Graag over een tijdje nog eens samenkomen.",
    "De afspraken lopen goed; het contact is prettiger.",
]
# The research moment's answers, with the proportions of the Eigen Kracht Centrale's reports:
# about half of the plans carried out fully at three months, 40 % partly.
OUTCOMES = [
    (AgreementOutcome.Outcome.DONE, 50),
    (AgreementOutcome.Outcome.PARTLY, 35),
    (AgreementOutcome.Outcome.NOT, 10),
    (AgreementOutcome.Outcome.NOT_RELEVANT, 5),
]
BETTER_WEIGHTS = [3, 7, 25, 45, 20]  # much worse … much better
SATISFACTION_WEIGHTS = {5: 3, 6: 7, 7: 25, 8: 35, 9: 20, 10: 10}

DECLARATION = (
    "- I have no stake in the outcome of this conference.\n"
    "- I have no link to the people or organisations involved.\n"
    "- I have no say in the content of the plan: the plan belongs to the participants."
)


# The steps a case has gone through to reach a status (each a step the lifecycle allows).
_MAIN = [
    Status.REQUESTED,
    Status.INTAKE,
    Status.ACCEPTED,
    Status.COORDINATOR_ASSIGNED,
    Status.PREPARATION,
    Status.SCHEDULED,
    Status.HELD,
    Status.PLAN_DISTRIBUTED,
    Status.AFTERCARE,
    Status.FOLLOW_UP,
    Status.CLOSED,
]
PATHS: dict[str, list[Status]] = {s: _MAIN[: _MAIN.index(s) + 1] for s in _MAIN}
PATHS[Status.DECLINED] = [Status.REQUESTED, Status.INTAKE, Status.DECLINED]
PATHS[Status.WITHDRAWN] = [Status.REQUESTED, Status.INTAKE, Status.ACCEPTED, Status.WITHDRAWN]
PATHS[Status.STOPPED] = [*_MAIN[:5], Status.STOPPED]
PATHS[Status.PLAN_WITHOUT_MEETING] = [*_MAIN[:5], Status.PLAN_WITHOUT_MEETING]
REASONS = {
    Status.DECLINED: "Geen vraag voor een Eigen Kracht-conferentie: er loopt al een "
    "juridische procedure.",
    Status.WITHDRAWN: "De aanvrager heeft de aanvraag ingetrokken.",
    Status.STOPPED: "De direct betrokkenen willen op dit moment niet meedoen.",
    Status.PLAN_WITHOUT_MEETING: "Iedereen wilde een plan, maar samenkomen lukte niet; het "
    "plan is per telefoon en brief gemaakt.",
}
WITH_COORDINATOR = {s for s, path in PATHS.items() if Status.COORDINATOR_ASSIGNED in path}
ASSIGNMENT_STATE = {
    Status.COORDINATOR_ASSIGNED: Assignment.State.OFFERED,
    Status.FOLLOW_UP: Assignment.State.ENDED,
    Status.CLOSED: Assignment.State.ENDED,
    Status.STOPPED: Assignment.State.ENDED,
}
# How often each status occurs in generated data (roughly a year of a national service).
STATUS_WEIGHTS = {
    Status.REQUESTED: 4,
    Status.INTAKE: 5,
    Status.ACCEPTED: 3,
    Status.DECLINED: 5,
    Status.WITHDRAWN: 4,
    Status.COORDINATOR_ASSIGNED: 2,
    Status.PREPARATION: 8,
    Status.SCHEDULED: 4,
    Status.HELD: 2,
    Status.PLAN_WITHOUT_MEETING: 1,
    Status.PLAN_DISTRIBUTED: 3,
    Status.AFTERCARE: 4,
    Status.FOLLOW_UP: 6,
    Status.STOPPED: 5,
    Status.CLOSED: 44,
}
