"""The API's JSON shapes: camelCase names, dates in ISO 8601 and times in UTC ("Z")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

from kring.cases.models import RequesterRelation, Urgency, Variant


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[
    dt.datetime,
    PlainSerializer(_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Cell = str | int | float | None


class Camel(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class InvalidParam(Camel):
    name: str
    code: str
    reason: str


class Problem(Camel):
    """An error (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None


# --- Public -----------------------------------------------------------------------------


class Regio(Camel):
    code: str
    naam: str
    telefoon: str
    email: str


class Gemeente(Camel):
    naam: str
    regio: str | None = Field(description="The code of the region, or null: none.")


class PostcodeRegio(Camel):
    postcode: str
    regio: Regio | None = Field(
        description="The region whose inbox gets a request from here; null: the national inbox."
    )


# --- Requests ---------------------------------------------------------------------------


class AanvraagIn(Camel):
    """A request on behalf of a requester: the fields of the public request form."""

    requester_name: str = Field(min_length=1, max_length=120)
    requester_email: str = Field("", max_length=254)
    requester_phone: str = Field("", max_length=30)
    requester_relation: RequesterRelation
    requester_organisation: str = Field("", max_length=120)
    requester_language: str = Field(
        "nl", pattern="^(nl|en)$", description="Language of the confirmation email."
    )
    description: str = Field(min_length=1, max_length=4000)
    postcode: str = Field("", max_length=7)
    address: str = Field("", max_length=120)
    municipality_name: str = Field("", max_length=80)
    place: str = Field(min_length=1, max_length=200)
    variant: Variant
    involved: str = Field("", max_length=2000)
    urgency: Urgency = Urgency.NORMAL
    coordinator_language: str = Field("", max_length=5)
    coordinator_gender: str = Field("", pattern="^(|female|male)$")
    consent: bool = Field(
        description="The requester agreed that Kring keeps and uses these details for the "
        "request (must be true)."
    )


class Aanvraag(Camel):
    """A submitted request: its reference and phase, never its content."""

    referentie: str
    fase: str
    fase_naam: str
    ingediend_op: UtcDateTime
    fase_sinds: UtcDateTime


# --- Research ---------------------------------------------------------------------------


class Dataset(Camel):
    code: str
    titel: str
    omschrijving: str


class Kolom(Camel):
    naam: str
    soort: str
    soort_naam: str
    omschrijving: str
    waarden: str


class RijenPagina(Camel):
    kolommen: list[str]
    rijen: list[list[Cell]]
    volgende: str | None = Field(
        description="The cursor of the next page (pass it as ?cursor=); null: the last page."
    )


# --- Financier --------------------------------------------------------------------------


class Telling(Camel):
    code: str
    naam: str
    aantal: int
    aandeel: int | None = Field(description="Percent, or null.")


class Uitvoering(Camel):
    onderdrukt: bool = Field(
        description="Fewer answers than the minimum: the figures could point at one person's "
        "answers, so none are given."
    )
    uitkomsten: list[Telling]
    beoordeeld: int | None
    respondenten: int | None
    zaken: int | None
    gemiddelde_tevredenheid: float | None
    aandeel_beter: int | None


class Rapportage(Camel):
    financier: str
    van: dt.date
    tot_en_met: dt.date
    trechter: list[Telling]
    afspraken: int
    verzoeken_aan_organisaties: int
    verzoeken_toegezegd: int
    verzoeken_deels_toegezegd: int
    uitvoering: Uitvoering
    toegekend_bedrag: Decimal
    toegekende_financieringen: int
    aangevraagd_bedrag: Decimal
    aangevraagde_financieringen: int
    geweigerde_financieringen: int
    kosten: Decimal
    kostenposten: int
