"""Writes of the API: registering and revoking a client, and a submitted request.

A submission goes through the same form (:class:`kring.cases.forms.RequestForm`) and the same
action (:func:`kring.cases.intake.create_request`: routing, history, confirmation email) as
the public form. With an ``Idempotency-Key`` the submission and its key are stored in one
transaction, and the key is unique per client: of two submissions with the same key, at once
or one after the other, one creates the case and the other gets that case back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kring.accounts.models import Organisation, Region, User
from kring.api.auth import new_secret
from kring.api.models import ApiClient, ApiSubmission, hash_secret
from kring.cases.forms import RequestForm
from kring.cases.intake import create_request
from kring.cases.models import Case, CaseAction


def register_client(
    *,
    name: str,
    organisation: Organisation,
    scopes: list[str],
    region: Region | None,
    expires_on: dt.date,
    user: User,
) -> tuple[ApiClient, str]:
    """A new client and its secret: the only moment the secret exists outside the caller."""
    secret = new_secret()
    client = ApiClient.objects.create(
        name=name,
        organisation=organisation,
        scopes=sorted(scopes),
        region=region,
        expires_on=expires_on,
        prefix=secret[:12],
        secret_hash=hash_secret(secret),
        created_by=user,
    )
    return client, secret


def revoke_client(client: ApiClient) -> bool:
    """Revoke (once); False if it was revoked already."""
    return bool(
        ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


class KeyReused(Exception):
    """The idempotency key was used before, for a different request."""


@dataclass(frozen=True)
class Submitted:
    case: Case
    replayed: bool


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _earlier(client: ApiClient, key: str, digest: str) -> Submitted | None:
    if not key:
        return None
    earlier = (
        ApiSubmission.objects.select_related("case")
        .filter(client=client, idempotency_key=key)
        .first()
    )
    if earlier is None:
        return None
    if earlier.body_hash != digest:
        raise KeyReused
    return Submitted(earlier.case, replayed=True)


def submit(
    client: ApiClient, form: RequestForm, *, language: str, key: str, body: dict[str, Any]
) -> Submitted:
    """Store a request validated by ``form`` for ``client``, once per idempotency key."""
    digest = body_hash(body)
    earlier = _earlier(client, key, digest)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            case = create_request(form.cleaned_data_for_case(), language=language)
            ApiSubmission.objects.create(
                client=client, case=case, idempotency_key=key, body_hash=digest
            )
            case.log(CaseAction.CASE_SUBMITTED_BY_API, user=None, data={"client": client.name})
    except IntegrityError:
        # Another submission with this key won the race: its case, none of ours (our case,
        # its history and its emails were rolled back with the transaction).
        earlier = _earlier(client, key, digest)
        if earlier is None:
            raise
        return earlier
    return Submitted(case, replayed=False)
