"""The demo's people and places: its regions with their postcodes, municipalities and
offices, the organisations, and a staff member per role (the personas) with the demo's logins.
"""

from __future__ import annotations

from dataclasses import dataclass

from kring.accounts.models import (
    CoordinatorProfile,
    Gender,
    Municipality,
    Organisation,
    PostcodeRange,
    Region,
    User,
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
