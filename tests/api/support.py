"""API clients for the tests: one per scope (and one with none), each with its secret."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kring.accounts.models import Organisation
from kring.api import services
from kring.api.models import Scope

KINDS = ["anonymous", "submit", "follow", "research", "financier", "none"]
SCOPE_OF = {
    "submit": [Scope.SUBMIT],
    "follow": [Scope.FOLLOW],
    "research": [Scope.RESEARCH],
    "financier": [Scope.FINANCIER],
    "none": [],
}


@dataclass
class Caller:
    client: Any  # an ApiClient; None for anonymous
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}


def make_client(user, kind: str, organisation: Organisation | None = None, **extra) -> Caller:
    if kind == "anonymous":
        return Caller(None, "")
    organisation = (
        organisation
        or Organisation.objects.get_or_create(
            name=f"Organisatie {kind}", defaults={"kind": "gemeente"}
        )[0]
    )
    client, secret = services.register_client(
        name=f"Client {kind}",
        organisation=organisation,
        scopes=[str(scope) for scope in SCOPE_OF[kind]],
        region=extra.get("region"),
        expires_on=extra.get("expires_on", timezone.localdate() + dt.timedelta(days=30)),
        user=user,
    )
    return Caller(client, secret)


def request_body(**changes) -> dict:
    body = {
        "requesterName": "Sanne de Boer",
        "requesterEmail": "sanne@voorbeeld.test",
        "requesterPhone": "",
        "requesterRelation": "professional",
        "requesterOrganisation": "Buurtteam Oost",
        "requesterLanguage": "nl",
        "description": "Overlast van muziek in de Molenstraat, al maanden.",
        "postcode": "1053AB",
        "place": "Bewoners van de Molenstraat",
        "variant": "buurt",
        "urgency": "normal",
        "consent": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}
