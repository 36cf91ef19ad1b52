"""Believable demo and scale data: Dutch regions, staff per role, and cases in every state.

Cases here are *loaded*, like a fixture: their history is written as it would have been
recorded at the time, so the seed can place steps in the past and insert in bulk. Live status
changes always go through ``kring.cases.lifecycle.change_status``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kring.accounts.models import (
    CoordinatorProfile,
    Gender,
    Municipality,
    Organisation,
    PostcodeRange,
    Region,
    User,
)
from kring.cases.lifecycle import TRANSITIONS
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    Channel,
    ConferenceQuestion,
    Funding,
    ReferenceCounter,
    RequesterRelation,
    Status,
    Urgency,
    Variant,
    format_reference,
)
from kring.circle.models import Category, ContactMoment, Participant, Willingness
from kring.core.models import DemoData
from kring.followup.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.followup.services import add_months
from kring.meetings.models import Attendance, Meeting
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)

DEMO_PASSWORD = "kring-demo"  # noqa: S105 - printed on purpose: the demo's logins
DEMO_DOMAIN = "kring.example"

# name, slug, ranges of four-digit postcodes, municipalities
REGIONS: list[tuple[str, str, list[tuple[int, int]], list[str]]] = [
    (
        "Noord",
        "noord",
        [(7700, 7999), (8400, 9999)],
        ["Groningen", "Leeuwarden", "Assen", "Emmen", "Smallingerland", "Heerenveen"],
    ),
    (
        "Oost",
        "oost",
        [(6500, 7699), (8000, 8199)],
        ["Arnhem", "Nijmegen", "Enschede", "Zwolle", "Apeldoorn", "Deventer"],
    ),
    (
        "Midden",
        "midden",
        [(1300, 1399), (3400, 3999), (8200, 8399)],
        ["Utrecht", "Amersfoort", "Almere", "Lelystad", "Zeist", "Nieuwegein"],
    ),
    (
        "West",
        "west",
        [(1000, 1299), (1400, 2999), (3000, 3399)],
        ["Amsterdam", "Haarlem", "Zaanstad", "Leiden", "Den Haag", "Rotterdam", "Delft"],
    ),
    (
        "Zuid",
        "zuid",
        [(4000, 6499)],
        ["Eindhoven", "Tilburg", "Breda", "Maastricht", "Middelburg", "'s-Hertogenbosch"],
    ),
]
POSTCODE_PREFIX = {
    "Groningen": 9711,
    "Leeuwarden": 8911,
    "Assen": 9401,
    "Emmen": 7811,
    "Smallingerland": 9201,
    "Heerenveen": 8441,
    "Arnhem": 6811,
    "Nijmegen": 6511,
    "Enschede": 7511,
    "Zwolle": 8011,
    "Apeldoorn": 7311,
    "Deventer": 7411,
    "Utrecht": 3511,
    "Amersfoort": 3811,
    "Almere": 1315,
    "Lelystad": 8232,
    "Zeist": 3701,
    "Nieuwegein": 3431,
    "Amsterdam": 1011,
    "Haarlem": 2011,
    "Zaanstad": 1501,
    "Leiden": 2311,
    "Den Haag": 2511,
    "Rotterdam": 3011,
    "Delft": 2611,
    "Eindhoven": 5611,
    "Tilburg": 5011,
    "Breda": 4811,
    "Maastricht": 6211,
    "Middelburg": 4331,
    "'s-Hertogenbosch": 5211,
}

ORGANISATIONS = [
    ("Gemeente Amsterdam", Organisation.Kind.MUNICIPALITY),
    ("Gemeente Rotterdam", Organisation.Kind.MUNICIPALITY),
    ("Gemeente Utrecht", Organisation.Kind.MUNICIPALITY),
    ("Gemeente Eindhoven", Organisation.Kind.MUNICIPALITY),
    ("Provincie Gelderland", Organisation.Kind.PROVINCE),
    ("Woonstichting De Key", Organisation.Kind.HOUSING),
    ("Woonzorg Het Baken", Organisation.Kind.CARE),
    ("Stichting Jeugdwerk Oost", Organisation.Kind.CARE),
    ("OBS De Regenboog", Organisation.Kind.SCHOOL),
    ("Politie Eenheid Midden-Nederland", Organisation.Kind.POLICE),
]


@dataclass
class Persona:
    key: str
    email: str
    full_name: str
    roles: tuple[str, ...]
    managed: tuple[str, ...] = ()
    national: bool = False
    coordinates_in: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("nl",)
    gender: str = ""
    organisations: tuple[str, ...] = ()
    printed_as: str = ""


PERSONAS = [
    Persona(
        "manager",
        f"regiomanager@{DEMO_DOMAIN}",
        "Marieke de Vries",
        ("is_regional_manager",),
        managed=("west", "midden"),
        national=True,
        printed_as="regional manager (West, Midden, national inbox)",
    ),
    Persona(
        "manager_zuid",
        f"regiomanager.zuid@{DEMO_DOMAIN}",
        "Hans Bakker",
        ("is_regional_manager",),
        managed=("zuid", "oost", "noord"),
        printed_as="regional manager (Zuid, Oost, Noord)",
    ),
    Persona(
        "coordinator",
        f"coordinator@{DEMO_DOMAIN}",
        "Fatima El Amrani",
        ("is_coordinator",),
        coordinates_in=("west", "midden"),
        languages=("nl", "ar", "ber", "fr"),
        gender=Gender.FEMALE,
        printed_as="coordinator",
    ),
    Persona(
        "coordinator_2",
        f"coordinator.zuid@{DEMO_DOMAIN}",
        "Joost Visser",
        ("is_coordinator",),
        coordinates_in=("zuid", "oost"),
        languages=("nl", "en", "de"),
        gender=Gender.MALE,
        organisations=("Stichting Jeugdwerk Oost",),
    ),
    Persona(
        "coordinator_3",
        f"coordinator.noord@{DEMO_DOMAIN}",
        "Sietske Hoekstra",
        ("is_coordinator",),
        coordinates_in=("noord",),
        languages=("nl", "fy", "en"),
        gender=Gender.FEMALE,
    ),
    Persona(
        "coordinator_4",
        f"coordinator.west@{DEMO_DOMAIN}",
        "Mehmet Yılmaz",
        ("is_coordinator",),
        coordinates_in=("west",),
        languages=("nl", "tr", "en"),
        gender=Gender.MALE,
    ),
    Persona(
        "coordinator_5",
        f"coordinator.midden@{DEMO_DOMAIN}",
        "Priya Ramdin",
        ("is_coordinator",),
        coordinates_in=("midden", "west"),
        languages=("nl", "srn", "en"),
        gender=Gender.FEMALE,
        organisations=("Woonzorg Het Baken",),
    ),
    Persona(
        "researcher",
        f"onderzoeker@{DEMO_DOMAIN}",
        "Anouk Jansen",
        ("is_researcher",),
        printed_as="researcher",
    ),
    Persona(
        "administrator",
        f"beheerder@{DEMO_DOMAIN}",
        "Pieter Smit",
        ("is_administrator",),
        printed_as="administrator",
    ),
]

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


# Each demo region's office: area code, postcode and city of its (made-up) postal address.
DEMO_OFFICES = {
    "noord": ("050", "9700 AA", "Groningen"),
    "oost": ("026", "6800 AA", "Arnhem"),
    "midden": ("030", "3500 AA", "Utrecht"),
    "west": ("020", "1000 AA", "Amsterdam"),
    "zuid": ("040", "5600 AA", "Eindhoven"),
}


def ensure_reference_data() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for name, slug, ranges, municipalities in REGIONS:
        region, _created = Region.objects.update_or_create(slug=slug, defaults={"name": name})
        if not region.phone:  # the office's made-up details, once: an administrator may edit
            number, postcode, city = DEMO_OFFICES[slug]
            region.phone = f"{number} 000 00 00"
            region.email = f"{slug}@kring.example"
            region.postal_address = f"Postbus {postcode[:3]}\n{postcode} {city}"
            region.save(update_fields=["phone", "email", "postal_address"])
        regions[slug] = region
        for start, end in ranges:
            PostcodeRange.objects.get_or_create(region=region, start=start, end=end)
        for municipality in municipalities:
            Municipality.objects.update_or_create(name=municipality, defaults={"region": region})
    for name, kind in ORGANISATIONS:
        Organisation.objects.get_or_create(name=name, defaults={"kind": kind})
    return regions


def ensure_staff(regions: dict[str, Region]) -> dict[str, User]:
    users: dict[str, User] = {}
    for persona in PERSONAS:
        user = User.objects.filter(email=persona.email).first()
        if user is None:
            user = User.objects.create_user(
                persona.email,
                DEMO_PASSWORD,
                full_name=persona.full_name,
                **dict.fromkeys(persona.roles, True),
            )
        user.sees_national_inbox = persona.national
        if persona.coordinates_in and not user.phone:
            user.phone = f"06 00 00 {len(users) + 10:02d} 00"  # made up, for the letters
        user.save(update_fields=["sees_national_inbox", "phone"])
        if persona.managed:
            user.managed_regions.set([regions[slug] for slug in persona.managed])
        if persona.coordinates_in:
            profile, _created = CoordinatorProfile.objects.get_or_create(
                user=user,
                defaults={
                    "languages": list(persona.languages),
                    "gender": persona.gender,
                    "training": CoordinatorProfile.Training.CERTIFIED,
                    # The demo gives its few coordinators many cases.
                    "max_cases": 12,
                },
            )
            profile.regions.set([regions[slug] for slug in persona.coordinates_in])
            profile.organisations.set(Organisation.objects.filter(name__in=persona.organisations))
        users[persona.key] = user
    return users


@dataclass
class Generated:
    """One generated case with what belongs to it, all unsaved."""

    case: Case
    events: list[CaseEvent]
    questions: list[str]
    assignment: Assignment | None
    funding: Funding | None = None
    bottom_line: BottomLine | None = None
    participants: list[Participant] = field(default_factory=list)
    meeting: Meeting | None = None
    plan: DemoPlan | None = None
    research: DemoResearch | None = None


@dataclass
class DemoPlan:
    """A case's attendance and plan; people are indices into ``Generated.participants``."""

    attendance: list[tuple[int, bool, bool, bool]]  # (person, information, private, plan)
    agreements: list[tuple[Agreement, list[int]]]
    requests: list[OrganisationRequest]
    evaluations: list[Evaluation]
    monitors: list[int]
    contingency: str
    finalised_at: dt.datetime | None
    aftercare_on: dt.date | None


@dataclass
class DemoResearch:
    """Research consent and the follow-up moment of a case whose plan went out, unsaved; the
    rows point at the case's unsaved participants and agreements until they are inserted."""

    consents: list[ConsentChange] = field(default_factory=list)
    follow_up: FollowUp | None = None
    respondents: list[Respondent] = field(default_factory=list)
    outcomes: list[AgreementOutcome] = field(default_factory=list)
    attempts: list[ContactAttempt] = field(default_factory=list)


@dataclass
class Generator:
    """Makes unsaved cases with their questions, history and assignments."""

    rng: random.Random
    regions: dict[str, Region]
    managers: dict[int, User]
    coordinators: dict[int, list[User]]
    municipalities: dict[int, list[Municipality]] = field(default_factory=dict)
    financiers: dict[str, list[Organisation]] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=timezone.now)
    # Its own stream, so that adding research data left the rest of the demo as it was.
    research_rng: random.Random = field(default_factory=random.Random)
    researcher: User | None = None

    def __post_init__(self) -> None:
        for municipality in Municipality.objects.all():
            self.municipalities.setdefault(municipality.region_id, []).append(municipality)
        for organisation in Organisation.objects.order_by("pk"):
            self.financiers.setdefault(organisation.kind, []).append(organisation)

    def case(
        self,
        status: Status,
        variant: Variant | None = None,
        region: Region | None = None,
        *,
        follow_up_due: bool = False,
    ) -> Generated:
        """One case in ``status``; ``follow_up_due`` places a case in follow-up past its
        moment at three months, so that its follow-up is open."""
        rng = self.rng
        variant = variant or rng.choice(list(Variant))
        region = region or rng.choice(list(self.regions.values()))
        municipality = rng.choice(self.municipalities[region.pk])
        path = PATHS[status]
        gaps = [rng.randint(1, 12) for _ in path[1:]]
        # Finished cases lie further back; open ones are recent.
        idle = (
            rng.randint(0, 400)
            if status in (Status.CLOSED, Status.DECLINED)
            else rng.randint(0, 20)
        )
        if status == Status.CLOSED:
            # Closed with its follow-up: a few weeks after the moment at three months.
            gaps[-1] = self.research_rng.randint(125, 150)
        elif status == Status.FOLLOW_UP:
            # Waiting for the moment at three months, or past it with answers coming in.
            idle += (
                115 + self.research_rng.randint(0, 10)
                if follow_up_due
                else self.research_rng.randint(20, 100)
            )
        requested_at = self.now - dt.timedelta(
            days=sum(gaps) + idle, hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        first, last, street = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(STREETS)
        relation = rng.choice(list(RequesterRelation))
        case = Case(
            status=status,
            variant=variant,
            urgency=rng.choices(list(Urgency), weights=[6, 3, 1])[0],
            region=region,
            municipality=municipality,
            place=rng.choice(PLACES[variant]).format(street=street, last=last, first=first),
            postcode=f"{POSTCODE_PREFIX.get(municipality.name, 1000) + rng.randint(0, 8)} "
            f"{rng.choice('ABCDEGHJKLMNPRST')}{rng.choice('ABCDEGHJKLMNPRST')}",
            description=rng.choice(DESCRIPTIONS[variant]),
            requester_name=f"{first} {last}",
            requester_email=f"{first.lower()}.{last.lower().replace(' ', '')}@"
            f"{rng.choice(['voorbeeld.nl', 'mail.example', 'post.example'])}",
            requester_phone=f"06-{rng.randint(10000000, 99999999)}",
            requester_relation=relation,
            requester_organisation=rng.choice([name for name, _kind in ORGANISATIONS])
            if relation == RequesterRelation.PROFESSIONAL
            else "",
            requested_at=requested_at,
            address=f"{street} {rng.randint(1, 140)}",
            involved=INVOLVED[variant],
            coordinator_language=rng.choice(["", "", "", "", "tr", "ar", "en"]),
            coordinator_gender=rng.choice(["", "", "", Gender.FEMALE, Gender.MALE]),
            channel=rng.choices(list(Channel), weights=[6, 3, 1, 1])[0],
            consent_at=requested_at,
        )
        manager = self.managers[region.pk]
        coordinator = (
            rng.choice(self.coordinators[region.pk]) if status in WITH_COORDINATOR else None
        )
        events = [CaseEvent(at=requested_at, action="case.requested", to_status=Status.REQUESTED)]
        at = requested_at
        for source, target, gap in zip(path[:-1], path[1:], gaps, strict=True):
            transition = TRANSITIONS[(source, target)]
            at += dt.timedelta(days=gap, hours=rng.randint(0, 6))
            by_coordinator = coordinator is not None and (
                "coordinator" in transition.roles and "regional_manager" not in transition.roles
            )
            events.append(
                CaseEvent(
                    at=at,
                    actor=coordinator if by_coordinator else manager,
                    action="status.changed",
                    from_status=source,
                    to_status=target,
                    reason=REASONS.get(target, ""),
                )
            )
        case.status_changed_at = at
        intake = next((e.at for e in events if e.to_status == Status.INTAKE), None)
        if intake is not None and status != Status.INTAKE:
            case.intake_on = timezone.localdate(intake)
            case.intake_notes = INTAKE_NOTES
        questions = rng.sample(
            QUESTIONS[variant], k=min(len(QUESTIONS[variant]), rng.choice([1, 1, 2]))
        )
        if status in (Status.REQUESTED, Status.DECLINED):
            questions = []
        assignment = None
        if coordinator is not None:
            offered = next(e.at for e in events if e.to_status == Status.COORDINATOR_ASSIGNED)
            state = ASSIGNMENT_STATE.get(status, Assignment.State.ACCEPTED)
            assignment = Assignment(
                coordinator=coordinator,
                state=state,
                offered_at=offered,
                accepted_at=offered + dt.timedelta(days=1)
                if state != Assignment.State.OFFERED
                else None,
                ended_at=at if state == Assignment.State.ENDED else None,
                asked_by=manager,
                declaration=DECLARATION if state != Assignment.State.OFFERED else "",
            )
        generated = Generated(case, events, questions, assignment)
        accepted = next((e.at for e in events if e.to_status == Status.ACCEPTED), None)
        if accepted is not None:
            kind = rng.choice(FINANCIER_KINDS[variant])
            generated.funding = Funding(
                organisation=rng.choice(self.financiers[kind]),
                contact_person=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                amount=rng.choice([1850, 2400, 2750, 3200]),
                reference=f"OPD-{rng.randint(1000, 9999)}",
                decision=Funding.Decision.PENDING
                if status == Status.ACCEPTED
                else Funding.Decision.APPROVED,
                decided_on=None
                if status == Status.ACCEPTED
                else timezone.localdate(accepted) + dt.timedelta(days=rng.randint(0, 3)),
            )
        if variant == Variant.FAMILY and questions and rng.random() < 0.4:
            generated.bottom_line = BottomLine(
                text="De kinderen blijven wonen waar ze nu wonen; contact met vader alleen "
                "onder begeleiding.",
                set_by="Jeugdbeschermer, Gecertificeerde Instelling",
                mandate="Ondertoezichtstelling (kinderrechter)",
                created_at=intake or requested_at,
            )
        if status in WITH_CIRCLE:
            self.circle(generated, status, variant, street, at)
        if generated.plan is not None and generated.plan.finalised_at is not None:
            generated.research = self.research(generated, status, manager, force=follow_up_due)
        return generated

    def circle(
        self, generated: Generated, status: Status, variant: Variant, street: str, at: dt.datetime
    ) -> None:
        """The circle of a case in or past preparation, and its meeting once scheduled."""
        rng = self.rng
        categories = CIRCLE_CATEGORIES[variant]
        size = rng.randint(len(categories), len(categories) + 5)
        for i in range(size):
            category = categories[i] if i < len(categories) else rng.choice(categories)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            by_email = rng.random() < 0.8
            if status == Status.PREPARATION:
                willing = rng.choice(
                    [Willingness.YES, Willingness.YES, Willingness.NOT_YET, Willingness.UNKNOWN]
                )
            elif status == Status.STOPPED:
                willing = rng.choice([Willingness.NO, Willingness.NO, Willingness.NOT_YET])
            else:
                willing = Willingness.YES if rng.random() < 0.88 else Willingness.NO
            generated.participants.append(
                Participant(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower().replace(' ', '')}@voorbeeld.nl"
                    if by_email
                    else "",
                    phone=f"06-{rng.randint(10000000, 99999999)}",
                    postal_address=""
                    if by_email
                    else f"{street} {rng.randint(1, 140)}\n{generated.case.postcode} "
                    f"{generated.case.municipality.name if generated.case.municipality else ''}",
                    category=category,
                    willingness=willing,
                    willingness_at=at if willing != Willingness.UNKNOWN else None,
                    informed_at=at if willing != Willingness.UNKNOWN else None,
                    diet=rng.choice(["", "", "", "vegetarian", "halal"]),
                    created_at=generated.case.requested_at,
                )
            )
        if status in WITH_MEETING:
            scheduled = next(
                (e.at for e in generated.events if e.to_status == Status.SCHEDULED), at
            )
            start = timezone.localtime(scheduled + dt.timedelta(days=rng.randint(7, 21))).replace(
                hour=19, minute=0, second=0, microsecond=0
            )
            held = next((e.at for e in generated.events if e.to_status == Status.HELD), None)
            if held is not None:
                # The meeting took place before it was recorded as held (and so before its
                # plan went out): the evening of that day, or the one before.
                start = timezone.localtime(held).replace(hour=19, minute=0, second=0, microsecond=0)
                if start > held:
                    start -= dt.timedelta(days=1)
                start = max(start, timezone.localtime(scheduled))
            generated.meeting = Meeting(
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
                venue_name=rng.choice(["Buurthuis De Ster", "Wijkcentrum Oost", "De Kas"]),
                venue_address=f"{street} {rng.randint(1, 140)}",
                catering="Soep, broodjes, koffie en thee",
                catering_for=size,
                uid=f"demo-{rng.getrandbits(64):016x}@kring",
            )
        if status in WITH_PLAN:
            generated.plan = self.plan(generated, status, variant, street)

    def plan(self, generated: Generated, status: Status, variant: Variant, street: str) -> DemoPlan:
        """Attendance, a plan of a few agreements, and — once it was accepted — its version,
        endorsements, copies and the aftercare call."""
        rng = self.rng
        people = generated.participants
        willing = [i for i, p in enumerate(people) if p.willingness == Willingness.YES]
        meeting = generated.meeting
        attendance = []
        if meeting is not None:
            for i in willing:
                private = not people[i].is_professional and rng.random() < 0.95
                attendance.append((i, rng.random() < 0.95, private, rng.random() < 0.92))
        at_plan = [i for i, *_parts, plan in attendance if plan] or willing
        day = timezone.localdate(meeting.starts_at) if meeting and meeting.starts_at else None
        day = day or timezone.localdate(generated.case.status_changed_at)
        agreements = []
        templates = AGREEMENTS[variant]
        for order, (text, often, where) in enumerate(
            rng.sample(templates, k=rng.randint(3, len(templates))), start=1
        ):
            who = rng.sample(at_plan, k=min(len(at_plan), 2 if "{b}" in text else 1))
            names = [people[i].name.split()[0] for i in who] + ["", ""]
            agreement = Agreement(
                what=text.format(a=names[0], b=names[1] or "de buren", street=street),
                where=where.format(street=street),
                order=order,
            )
            if often:
                agreement.when, agreement.recurrence = Agreement.When.RECURRING, often
            elif rng.random() < 0.5:
                agreement.when = Agreement.When.DATE
                agreement.on = day + dt.timedelta(days=rng.randint(7, 60))
            else:
                agreement.when = Agreement.When.PERIOD
                agreement.on = day + dt.timedelta(days=7)
                agreement.until = agreement.on + dt.timedelta(days=rng.choice([30, 60, 90]))
            agreements.append((agreement, who))
        requests = []
        if rng.random() < 0.5:
            organisation, text = rng.choice(ORGANISATION_REQUESTS)
            requests.append(
                OrganisationRequest(
                    organisation=organisation,
                    request=text,
                    order=1,
                    reply=rng.choice(["yes", "yes", "partly", ""]),
                )
            )
        evaluations = [
            Evaluation(
                on=day + dt.timedelta(weeks=weeks),
                description="Iedereen komt weer samen in het buurthuis.",
                order=n,
            )
            for n, weeks in enumerate([6, 12][: rng.randint(1, 2)], start=1)
        ]
        accepted = status in PLAN_ACCEPTED
        finalised_at = None
        if accepted:
            distributed = next(
                (e.at for e in generated.events if e.to_status == Status.PLAN_DISTRIBUTED),
                generated.case.status_changed_at,
            )
            finalised_at = distributed - dt.timedelta(days=2)
        aftercare_on = None
        if status in (Status.FOLLOW_UP, Status.CLOSED):
            aftercare_on = day + dt.timedelta(days=rng.randint(25, 35))
        return DemoPlan(
            attendance=attendance,
            agreements=agreements,
            requests=requests,
            evaluations=evaluations,
            monitors=at_plan[:1],
            contingency="Als een afspraak niet lukt, belt wie het merkt de bewaker van het "
            "plan; die roept iedereen binnen twee weken bij elkaar.",
            finalised_at=finalised_at,
            aftercare_on=aftercare_on,
        )

    def research(
        self, generated: Generated, status: Status, manager: User, *, force: bool = False
    ) -> DemoResearch:
        """Research consent for about 70 % of those who took part, and the follow-up moment at
        three months: planned while it is to come, open with answers coming in once its day
        has passed, closed with the case."""
        rng = self.research_rng
        demo = generated.plan
        assert demo is not None and demo.finalised_at is not None  # noqa: S101 - the caller's check
        people = generated.participants
        research = DemoResearch()
        latest = self.now - dt.timedelta(minutes=5)
        for person in people:
            if person.willingness != Willingness.YES:
                continue
            draw = rng.random()
            if draw >= 0.8:
                continue  # not answered the question on their own page
            person.research_consent = draw < 0.7
            at = min(demo.finalised_at + dt.timedelta(hours=rng.randint(2, 72)), latest)
            research.consents.append(
                ConsentChange(
                    participant=person,
                    given=person.research_consent,
                    at=at,
                    via=ConsentChange.Via.OWN_PAGE,
                )
            )
        if force and not any(p.research_consent for p in people):
            first = next((p for p in people if p.willingness == Willingness.YES), None)
            if first is not None:
                first.research_consent = True
                research.consents.append(
                    ConsentChange(
                        participant=first,
                        given=True,
                        at=demo.finalised_at + dt.timedelta(hours=3),
                        via=ConsentChange.Via.OWN_PAGE,
                    )
                )
        meeting = generated.meeting
        base = timezone.localdate(
            meeting.starts_at if meeting and meeting.starts_at else demo.finalised_at
        )
        due = add_months(base, 3)
        opened_at = timezone.make_aware(dt.datetime.combine(due, dt.time(7, 0)))
        follow_up = FollowUp(months=3, due_on=due, created_at=demo.finalised_at)
        research.follow_up = follow_up
        if status == Status.CLOSED:
            follow_up.state = FollowUp.State.CLOSED
            follow_up.opened_at, follow_up.opened_by = opened_at, "demo"
            follow_up.closed_at = generated.case.status_changed_at
            end = generated.case.status_changed_at
        elif status == Status.FOLLOW_UP and opened_at < latest:
            follow_up.state = FollowUp.State.OPEN
            follow_up.opened_at, follow_up.opened_by = opened_at, "demo"
            end = latest
        else:
            return research
        asked = [
            i
            for i, p in enumerate(people)
            if p.research_consent and p.willingness != Willingness.NO
        ]
        codes: set[str] = set()
        for n, i in enumerate(asked):
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            while code in codes:
                code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            codes.add(code)
            if force and n == 0:
                fate = "answered"
            elif force and n == len(asked) - 1 and n > 0:
                fate = "waiting"
            else:
                weights = [80, 5, 15] if status == Status.CLOSED else [45, 5, 50]
                fate = rng.choices(["answered", "declined", "waiting"], weights=weights)[0]
            self.respondent(
                research, follow_up, people[i], code, fate, (opened_at, end), demo, manager
            )
        return research

    def respondent(
        self,
        research: DemoResearch,
        follow_up: FollowUp,
        person: Participant,
        code: str,
        fate: str,
        period: tuple[dt.datetime, dt.datetime],
        demo: DemoPlan,
        manager: User,
    ) -> None:
        """One respondent: the invitation (email, or a letter the manager printed the next
        morning), reminders ten days apart (at most two), a researcher's call to someone
        without email, and the answers if they gave them."""
        rng = self.research_rng
        opened_at, end = period
        by_email = bool(person.email)
        invited_at = opened_at if by_email else opened_at + dt.timedelta(days=1, hours=2)
        respondent = Respondent(
            follow_up=follow_up, participant=person, code=code, category=person.category
        )
        research.respondents.append(respondent)
        if invited_at >= end:
            return  # the letter is not printed yet
        respondent.invited_at = invited_at
        attempts = research.attempts
        attempts.append(
            ContactAttempt(
                respondent=respondent,
                at=invited_at,
                kind=ContactAttempt.Kind.INVITATION,
                channel=ContactAttempt.Channel.EMAIL if by_email else ContactAttempt.Channel.LETTER,
                outcome=ContactAttempt.Outcome.SENT,
                by=None if by_email else manager,
            )
        )
        span = (end - invited_at).total_seconds()
        moment = invited_at + dt.timedelta(seconds=span * rng.uniform(0.05, 0.95))
        call = invited_at + dt.timedelta(days=14, hours=3)  # no answer to the letter yet
        if not by_email and fate == "answered" and call >= end:
            fate = "waiting"
        if not by_email and fate == "answered":
            # Reached by phone, perhaps at the second try: the researcher enters the answers.
            moment = call
            if rng.random() < 0.5 and call + dt.timedelta(days=2) < end:
                attempts.append(self.call(respondent, call, ContactAttempt.Outcome.NOT_REACHED))
                moment = call + dt.timedelta(days=2)
            attempts.append(self.call(respondent, moment, ContactAttempt.Outcome.REACHED))
        elif not by_email and fate == "waiting" and call < end:
            outcome = rng.choice(
                [ContactAttempt.Outcome.NOT_REACHED, ContactAttempt.Outcome.MESSAGE_LEFT]
            )
            attempts.append(self.call(respondent, call, outcome))
        until = end if fate == "waiting" else moment
        if by_email:
            reminder = invited_at + dt.timedelta(days=10)
            while reminder < until and respondent.reminders < 2:
                attempts.append(
                    ContactAttempt(
                        respondent=respondent,
                        at=reminder,
                        kind=ContactAttempt.Kind.REMINDER,
                        channel=ContactAttempt.Channel.EMAIL,
                        outcome=ContactAttempt.Outcome.SENT,
                    )
                )
                respondent.reminders += 1
                respondent.last_reminder_at = reminder
                reminder += dt.timedelta(days=10)
        if fate == "declined":
            respondent.declined_at = moment
        elif fate == "answered":
            respondent.answered_at = moment
            if by_email:
                respondent.answered_via = Respondent.Via.OWN_PAGE
            else:
                respondent.answered_via = Respondent.Via.RESEARCHER
                respondent.entered_by = self.researcher
            respondent.better = rng.choices(range(1, 6), weights=BETTER_WEIGHTS)[0]
            respondent.satisfaction = rng.choices(
                list(SATISFACTION_WEIGHTS), weights=list(SATISFACTION_WEIGHTS.values())
            )[0]
            respondent.recommend = rng.choices([True, False, None], weights=[85, 10, 5])[0]
            needed = rng.choices(list(Respondent.Needed), weights=[10, 70, 20])
            respondent.new_conference = needed[0]
            respondent.remark = rng.choice(REMARKS)
            outcomes, weights = zip(*OUTCOMES, strict=True)
            research.outcomes += [
                AgreementOutcome(
                    respondent=respondent,
                    agreement=agreement,
                    outcome=rng.choices(outcomes, weights=weights)[0],
                )
                for agreement, _who in demo.agreements
            ]

    def call(self, respondent: Respondent, at: dt.datetime, outcome: str) -> ContactAttempt:
        return ContactAttempt(
            respondent=respondent,
            at=at,
            kind=ContactAttempt.Kind.CALL,
            channel=ContactAttempt.Channel.PHONE,
            outcome=outcome,
            by=self.researcher,
        )


def make_generator(seed: int) -> Generator:
    regions = {region.slug: region for region in Region.objects.all()}
    managers: dict[int, User] = {}
    for manager in (
        User.objects.filter(is_regional_manager=True)
        .prefetch_related("managed_regions")
        .order_by("pk")
    ):
        for region in manager.managed_regions.all():
            managers.setdefault(region.pk, manager)
    coordinators: dict[int, list[User]] = defaultdict(list)
    for profile in CoordinatorProfile.objects.select_related("user").prefetch_related("regions"):
        for region in profile.regions.all():
            coordinators[region.pk].append(profile.user)
    return Generator(
        random.Random(seed),  # noqa: S311
        regions,
        managers,
        dict(coordinators),
        research_rng=random.Random(seed + 1),  # noqa: S311
        researcher=User.objects.filter(is_researcher=True, is_active=True).order_by("pk").first(),
    )


def insert(generated: list[Generated]) -> None:
    """Insert generated cases in bulk, numbering them per year of their request."""
    by_year: dict[int, list[Case]] = defaultdict(list)
    for item in generated:
        by_year[timezone.localtime(item.case.requested_at).year].append(item.case)
    for year, cases in by_year.items():
        cases.sort(key=lambda c: c.requested_at)
        for case, number in zip(cases, ReferenceCounter.reserve(year, len(cases)), strict=True):
            case.reference = format_reference(year, number)
    Case.objects.bulk_create([item.case for item in generated])
    # Bulk inserts send no signals: the dashboard's summary is told of the cases here.
    from kring.research.signals import mark_cases

    mark_cases([item.case.pk for item in generated])
    events: list[CaseEvent] = []
    questions: list[ConferenceQuestion] = []
    assignments: list[Assignment] = []
    fundings: list[Funding] = []
    lines: list[BottomLine] = []
    for item in generated:
        case = item.case
        for event in item.events:
            event.case = case
            events.append(event)
        questions += [
            ConferenceQuestion(case=case, text=text, position=i)
            for i, text in enumerate(item.questions)
        ]
        if item.assignment is not None:
            item.assignment.case = case
            assignments.append(item.assignment)
        if item.funding is not None:
            item.funding.case = case
            fundings.append(item.funding)
        if item.bottom_line is not None:
            item.bottom_line.case = case
            lines.append(item.bottom_line)
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    ConferenceQuestion.objects.bulk_create(questions, batch_size=2000)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    Funding.objects.bulk_create(fundings, batch_size=2000)
    BottomLine.objects.bulk_create(lines, batch_size=2000)
    people: list[Participant] = []
    meetings: list[Meeting] = []
    for item in generated:
        for participant in item.participants:
            participant.case = item.case
            people.append(participant)
        if item.meeting is not None:
            item.meeting.case = item.case
            meetings.append(item.meeting)
    Participant.objects.bulk_create(people, batch_size=2000)
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    insert_plans(generated)
    insert_research(generated)
    ContactMoment.objects.bulk_create(
        [
            ContactMoment(
                participant=participant,
                on=timezone.localdate(participant.informed_at),
                channel=ContactMoment.Channel.VISIT,
                outcome=ContactMoment.Outcome.REACHED,
            )
            for participant in people
            if participant.informed_at is not None
        ],
        batch_size=2000,
    )


def _content(item: Generated, demo: DemoPlan, endorsed: set[int]) -> dict[str, object]:
    """The frozen content of a demo plan's version, in the shape services.snapshot makes."""
    people, meeting = item.participants, item.meeting
    present = {i for i, info, private, plan in demo.attendance if info or private or plan}
    took_part = sorted(present or {i for i, p in enumerate(people) if p.willingness == "yes"})
    return {
        "reference": item.case.reference,
        "place": item.case.place,
        "variant": item.case.variant,
        "meeting": None
        if meeting is None or meeting.starts_at is None or meeting.ends_at is None
        else {
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat(),
            "venue_name": meeting.venue_name,
            "venue_address": meeting.venue_address,
        },
        "questions": [{"text": text, "answer": ""} for text in item.questions],
        "agreements": [
            {
                "what": a.what,
                "who": [people[i].name for i in who],
                "who_ids": [people[i].pk for i in who],
                "organisation": a.who_organisation,
                "where": a.where,
                "when": a.when,
                "on": a.on.isoformat() if a.on else None,
                "until": a.until.isoformat() if a.until else None,
                "recurrence": a.recurrence,
            }
            for a, who in demo.agreements
        ],
        "requests": [
            {
                "organisation": r.organisation,
                "request": r.request,
                "reply": r.reply,
                "reply_note": r.reply_note,
            }
            for r in demo.requests
        ],
        "monitors": [people[i].name for i in demo.monitors],
        "monitor_note": "",
        "evaluations": [
            {"on": e.on.isoformat(), "description": e.description} for e in demo.evaluations
        ],
        "contingency": demo.contingency,
        "participants": [
            {
                "id": people[i].pk,
                "name": people[i].name,
                "organisation": people[i].organisation,
                "endorsed": people[i].pk in endorsed,
            }
            for i in took_part
        ],
        "bottom_lines": [],
    }


def insert_plans(generated: list[Generated]) -> None:
    """The attendance, plans, versions, copies and aftercare calls of generated cases."""
    with_plan = [item for item in generated if item.plan is not None]
    plans = Plan.objects.bulk_create(
        [
            Plan(
                case=item.case,
                contingency=item.plan.contingency,
                outcome=Plan.Outcome.ACCEPTED if item.plan.finalised_at else "",
                outcome_at=item.plan.finalised_at,
            )
            for item in with_plan
            if item.plan is not None
        ],
        batch_size=2000,
    )
    attendance: list[Attendance] = []
    agreements: list[Agreement] = []
    who: list[tuple[Agreement, int]] = []
    requests: list[OrganisationRequest] = []
    evaluations: list[Evaluation] = []
    monitors = []
    endorsements: list[Endorsement] = []
    versions: list[tuple[PlanVersion, Generated]] = []
    calls: list[AftercareCall] = []
    for item, plan in zip(with_plan, plans, strict=True):
        demo = item.plan
        if demo is None:  # filtered above; for the type checker
            continue
        people = item.participants
        for i, information, private, at_plan in demo.attendance:
            if item.meeting is not None:
                attendance.append(
                    Attendance(
                        meeting=item.meeting,
                        participant=people[i],
                        information=information,
                        private_time=private,
                        plan=at_plan,
                    )
                )
        for agreement, chosen in demo.agreements:
            agreement.plan = plan
            agreements.append(agreement)
            who += [(agreement, people[i].pk) for i in chosen]
        for request in demo.requests:
            request.plan = plan
            requests.append(request)
        for evaluation in demo.evaluations:
            evaluation.plan = plan
            evaluations.append(evaluation)
        monitors += [
            Plan.monitors.through(plan_id=plan.pk, participant_id=people[i].pk)
            for i in demo.monitors
        ]
        if demo.finalised_at is None:
            continue
        endorsed = {people[i].pk for i, _info, _private, at_plan in demo.attendance if at_plan} or {
            p.pk for p in people if p.willingness == Willingness.YES
        }
        endorsements += [
            Endorsement(
                plan=plan, participant_id=pk, via=Endorsement.Via.MEETING, at=demo.finalised_at
            )
            for pk in sorted(endorsed)
        ]
        versions.append(
            (
                PlanVersion(
                    plan=plan,
                    number=1,
                    content=_content(item, demo, endorsed),
                    finalised_at=demo.finalised_at,
                ),
                item,
            )
        )
        if demo.aftercare_on is not None:
            calls.append(
                AftercareCall(
                    case=item.case,
                    on=demo.aftercare_on,
                    how_it_goes="De meeste afspraken lopen; de schoonmaak moet opnieuw "
                    "besproken worden.",
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=2000)
    Agreement.objects.bulk_create(agreements, batch_size=2000)
    Agreement.who.through.objects.bulk_create(
        [Agreement.who.through(agreement_id=a.pk, participant_id=pk) for a, pk in who],
        batch_size=2000,
    )
    OrganisationRequest.objects.bulk_create(requests, batch_size=2000)
    Evaluation.objects.bulk_create(evaluations, batch_size=2000)
    Plan.monitors.through.objects.bulk_create(monitors, batch_size=2000)
    Endorsement.objects.bulk_create(endorsements, batch_size=2000)
    PlanVersion.objects.bulk_create([version for version, _item in versions], batch_size=2000)
    Delivery.objects.bulk_create(
        [
            Delivery(
                version=version,
                participant=participant,
                channel=Delivery.Channel.EMAIL if participant.email else Delivery.Channel.LETTER,
                created_at=version.finalised_at,
                printed_at=None if participant.email else version.finalised_at,
                delivered_at=version.finalised_at + dt.timedelta(hours=1),
            )
            for version, item in versions
            for participant in item.participants
            if participant.willingness != Willingness.NO
        ],
        batch_size=2000,
    )
    AftercareCall.objects.bulk_create(calls, batch_size=2000)


def insert_research(generated: list[Generated]) -> None:
    """Consent logs and follow-up moments with their respondents, answers and contacts (after
    the participants and agreements they point at)."""
    research = [item.research for item in generated if item.research is not None]
    follow_ups = []
    for item in generated:
        if item.research is not None and item.research.follow_up is not None:
            item.research.follow_up.case = item.case
            follow_ups.append(item.research.follow_up)
    ConsentChange.objects.bulk_create([c for r in research for c in r.consents], batch_size=2000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    Respondent.objects.bulk_create([x for r in research for x in r.respondents], batch_size=2000)
    AgreementOutcome.objects.bulk_create([x for r in research for x in r.outcomes], batch_size=2000)
    ContactAttempt.objects.bulk_create([x for r in research for x in r.attempts], batch_size=2000)


def generate(count: int, *, seed: int = 2026, batch: int = 5000) -> Iterator[int]:
    """Add ``count`` cases with statuses in realistic proportions; yields progress."""
    generator = make_generator(seed)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    done = 0
    while done < count:
        size = min(batch, count - done)
        chosen = generator.rng.choices(statuses, weights=weights, k=size)
        with transaction.atomic():
            insert([generator.case(status) for status in chosen])
        done += size
        yield done


def load_demo() -> bool:
    """Load the demo once; return False if it was already there."""
    regions = ensure_reference_data()
    users = ensure_staff(regions)
    if DemoData.objects.exists():
        return False
    generator = make_generator(seed=42)
    generator.managers.update({regions[s].pk: users["manager"] for s in ("west", "midden")})
    generated = []
    # The brochure's variant first: every status for the neighbourhood, in the demo
    # manager's and coordinator's region, then a spread over all variants and regions.
    for status in Status:
        generated.append(
            generator.case(
                status,
                Variant.NEIGHBOURHOOD,
                regions["west"],
                # Its follow-up is open, for the demo researcher to work on.
                follow_up_due=status == Status.FOLLOW_UP,
            )
        )
    variants = list(Variant)
    for i, status in enumerate(list(Status) * 3):
        region = list(regions.values())[i % len(regions)]
        generated.append(generator.case(status, variants[i % len(variants)], region))
    for item in generated[: len(Status)]:
        if item.assignment is not None:
            item.assignment.coordinator = users["coordinator"]
            for event in item.events:
                if event.actor_id and event.actor_id != users["manager"].pk:
                    event.actor = users["coordinator"]
    with transaction.atomic():
        insert(generated)
        DemoData.mark_loaded()
    return True
