"""Kring's public API, version 1: django-ninja, OpenAPI 3.1, the Dutch API design rules.

- ``/api/v1/openapi.json`` is the document, ``/api/v1/docs`` the browsable documentation
  (Swagger UI from Kring's own static files, under the strict Content-Security-Policy).
- Resources are plural Dutch nouns without a trailing slash; JSON names are camelCase; times
  are ISO 8601 in UTC; every error is a problem document (kring/api/problems.py).
- Each operation names the scope it needs (kring/api/auth.py); calls that show personal data
  write the access log, as a page does.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Header, NinjaAPI, Path, Query
from ninja import Status as Answer
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from kring.accounts.models import Municipality, Region
from kring.api import services
from kring.api.auth import ClientSecret, RateLimited, ScopeRefused, caller, role
from kring.api.middleware import API_VERSION
from kring.api.models import ApiClient, ApiSubmission, Scope
from kring.api.schemas import (
    Aanvraag,
    AanvraagIn,
    Dataset,
    Gemeente,
    Kolom,
    PostcodeRegio,
    Problem,
    Rapportage,
    Regio,
    RijenPagina,
    Telling,
    Uitvoering,
)
from kring.audit import log as audit
from kring.cases.forms import POSTCODE, RequestForm
from kring.cases.models import Case, Status
from kring.core.problems import PROBLEM_TYPE, camel, problem
from kring.research import report as reports
from kring.research.dataset import DATASETS, PAGES
from kring.research.period import FiguresPeriodForm, Period, PeriodForm

API_VERSION_HEADER = {
    "description": "The full version of the API that answered.",
    "schema": {"type": "string", "example": API_VERSION},
}


class KringAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Errors are documented as application/problem+json, as they are sent."""
        schema = super().get_openapi_schema(**kwargs)
        schema["info"]["contact"] = {
            "name": settings.KRING_CONTACT_NAME,
            "email": settings.KRING_CONTACT_EMAIL,
        }
        paths = schema.get("paths", {}).values()
        # Any request may be refused as bad input at the edge (control characters in the path
        # or query, see kring/core/safety.py): every operation documents its 400.
        bad_input = next(
            response
            for operations in paths
            for op in operations.values()
            for status, response in op.get("responses", {}).items()
            if int(status) == 400
        )
        for operations in paths:
            for operation in operations.values():
                responses = operation["responses"]
                if not any(int(status) == 400 for status in responses):
                    responses[400] = copy.deepcopy(bad_input)
        for operations in paths:
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_TYPE] = content.pop("application/json")
                    response["headers"] = {"API-Version": API_VERSION_HEADER}
        return schema


api = KringAPI(
    title="Kring API",
    version=API_VERSION,
    description=(
        "The public API of Kring, for partners (submitting requests and following their "
        "phase), researchers (the pseudonymised dataset) and financiers (their figures). "
        "Clients are registered by an administrator; send the secret as "
        "`Authorization: Bearer <secret>`."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)

SUBMIT, FOLLOW = ClientSecret(Scope.SUBMIT), ClientSecret(Scope.FOLLOW)
RESEARCH, FINANCIER = ClientSecret(Scope.RESEARCH), ClientSecret(Scope.FINANCIER)


def errors(*codes: int) -> dict[int, type[Problem]]:
    return dict.fromkeys(codes, Problem)


AUTHORISED = (401, 403, 429)


# --- Errors -----------------------------------------------------------------------------


def _param(loc: list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    invalid = [
        {
            "name": _param(list(error.get("loc", []))),
            "code": str(error.get("type", "invalid")),
            "reason": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    return problem(request, 400, invalid=invalid)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(request, 401, headers={"WWW-Authenticate": 'Bearer realm="kring"'})


@api.exception_handler(ScopeRefused)
def _refused(request: HttpRequest, exc: ScopeRefused) -> HttpResponse:
    detail = gettext("This client does not have the scope %(scope)s.") % {"scope": str(exc)}
    return problem(request, 403, detail)


@api.exception_handler(RateLimited)
def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return problem(request, 429, headers={"Retry-After": "60"})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404)


def _form_problem(request: HttpRequest, form: Any) -> HttpResponse:
    invalid = [
        {"name": camel(field) if field != "__all__" else "body", "code": "invalid", "reason": m}
        for field, messages in form.errors.items()
        for m in messages
    ]
    return problem(request, 400, invalid=invalid)


# --- Public -----------------------------------------------------------------------------


def _regio(region: Region) -> Regio:
    return Regio(code=region.slug, naam=region.name, telefoon=region.phone, email=region.email)


@api.get("/regios", response=list[Regio], by_alias=True, tags=["openbaar"])
def regions(request: HttpRequest) -> list[Regio]:
    """The regions, each with its office's public details."""
    return [_regio(region) for region in Region.objects.order_by("name")]


@api.get("/gemeenten", response=list[Gemeente], by_alias=True, tags=["openbaar"])
def municipalities(request: HttpRequest) -> list[Gemeente]:
    """The municipalities Kring knows, with their region."""
    rows = Municipality.objects.order_by("name").values_list("name", "region__slug")
    return [Gemeente(naam=name, regio=slug) for name, slug in rows]


@api.get(
    "/postcodes/{postcode}",
    response={200: PostcodeRegio, **errors(400)},
    by_alias=True,
    tags=["openbaar"],
)
def postcode_region(
    request: HttpRequest,
    postcode: str = Path(
        ..., pattern=r"^\s*\d{4}\s*[A-Za-z]{2}\s*$", examples=["1053AB"], max_length=12
    ),
) -> PostcodeRegio:
    """Which region a Dutch postcode belongs to (null: the national inbox)."""
    found = POSTCODE.match(postcode)
    if found is None:  # the pattern above lets only valid postcodes through
        raise HttpError(400, "postcode")
    normal = f"{found.group(1)} {found.group(2).upper()}"
    region = Region.for_postcode(normal)
    return PostcodeRegio(postcode=normal, regio=_regio(region) if region else None)


# --- Requests ---------------------------------------------------------------------------


def _aanvraag(case: Case) -> Aanvraag:
    return Aanvraag(
        referentie=case.reference,
        fase=case.status,
        fase_naam=str(Status(case.status).label),
        ingediend_op=case.requested_at,
        fase_sinds=case.status_changed_at,
    )


@api.post(
    "/aanvragen",
    auth=SUBMIT,
    response={201: Aanvraag, **errors(400, *AUTHORISED, 422)},
    by_alias=True,
    tags=["aanvragen"],
)
def submit_request(
    request: HttpRequest,
    payload: AanvraagIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=100),
) -> Answer[Aanvraag] | HttpResponse:
    """Submit a request on behalf of a requester: the same checks, routing and confirmation
    email as the public form. Send an `Idempotency-Key` to make a retry safe: the same key
    with the same body returns the first result, never a second request."""
    client = caller(request)
    body = payload.model_dump()
    if not payload.consent:
        return problem(
            request,
            400,
            invalid=[
                {
                    "name": "consent",
                    "code": "required",
                    "reason": gettext("Without the requester's consent we cannot handle it."),
                }
            ],
        )
    data = {name: value for name, value in body.items() if name not in ("consent",)}
    form = RequestForm(data={name: str(value) for name, value in data.items()})
    if not form.is_valid():
        return _form_problem(request, form)
    try:
        submitted = services.submit(
            client,
            form,
            language=payload.requester_language,
            key=idempotency_key.strip(),
            body=body,
        )
    except services.KeyReused:
        return problem(request, 422)
    case = submitted.case
    _log_case(request, client, case)
    return Answer(201, _aanvraag(case))


def _log_case(request: HttpRequest, client: ApiClient, case: Case) -> None:
    audit.record(
        request,
        action="view",
        object_type="case_phase",
        object_id=case.pk,
        case_reference=case.reference,
        people=[audit.Person("requester", case.pk)],
        role=role(client),
    )


@api.get(
    "/aanvragen/{referentie}",
    auth=FOLLOW,
    response={200: Aanvraag, **errors(*AUTHORISED, 404)},
    by_alias=True,
    tags=["aanvragen"],
)
def follow_request(request: HttpRequest, referentie: str = Path(..., max_length=20)) -> Aanvraag:
    """The phase of a request this client submitted (not its content). Any other reference
    is a 404, whether it exists or not."""
    client = caller(request)
    submission = (
        ApiSubmission.objects.select_related("case")
        .filter(client=client, case__reference=referentie)
        .first()
    )
    if submission is None:
        raise Http404
    _log_case(request, client, submission.case)
    return _aanvraag(submission.case)


# --- Research ---------------------------------------------------------------------------


def _research_cases(client: ApiClient) -> QuerySet[Case]:
    cases = Case.objects.all()
    return cases.filter(region=client.region) if client.region_id else cases


def _dataset(code: str) -> Any:
    dataset = DATASETS.get(code)
    if dataset is None:
        raise Http404
    return dataset


@api.get(
    "/datasets",
    auth=RESEARCH,
    response={200: list[Dataset], **errors(*AUTHORISED)},
    by_alias=True,
    tags=["onderzoek"],
)
def datasets(request: HttpRequest) -> list[Dataset]:
    """The pseudonymised datasets."""
    return [
        Dataset(code=d.slug, titel=str(d.title), omschrijving=str(d.description))
        for d in DATASETS.values()
    ]


@api.get(
    "/datasets/{code}/kolommen",
    auth=RESEARCH,
    response={200: list[Kolom], **errors(*AUTHORISED, 404)},
    by_alias=True,
    tags=["onderzoek"],
)
def dictionary(request: HttpRequest, code: str = Path(..., max_length=20)) -> list[Kolom]:
    """The data dictionary: every column with its type, meaning and codes."""
    dataset = _dataset(code)
    return [
        Kolom(
            naam=c.name,
            soort=c.kind,
            soort_naam=str(c.kind_label),
            omschrijving=str(c.description),
            waarden=str(c.values),
        )
        for c in dataset.columns
    ]


def _fernet() -> Fernet:
    key = hashlib.sha256(f"kring-api-cursor:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _cursor(code: str, after: int) -> str:
    return _fernet().encrypt(f"{code}:{after}".encode()).decode()


def _after(code: str, cursor: str) -> int:
    """The key a cursor continues after; the cursor is encrypted, so it reveals nothing."""
    if not cursor:
        return 0
    try:
        plain = _fernet().decrypt(cursor.encode()).decode()
    except (InvalidToken, ValueError):
        raise HttpError(400, "cursor") from None
    slug, _sep, after = plain.partition(":")
    if slug != code or not after.isdigit():
        raise HttpError(400, "cursor")
    return int(after)


@api.get(
    "/datasets/{code}/rijen",
    auth=RESEARCH,
    response={200: RijenPagina, **errors(400, *AUTHORISED, 404)},
    by_alias=True,
    tags=["onderzoek"],
)
def rows(
    request: HttpRequest,
    code: str = Path(..., max_length=20),
    van: dt.date | None = Query(None, description="Requested from (a date)."),
    tot: dt.date | None = Query(None, description="Requested up to and including (a date)."),
    cursor: str = Query("", max_length=400),
    aantal: int = Query(
        500,
        ge=1,
        le=1000,
        description="Cases (zaken) or follow-up moments (antwoorden) per page.",
    ),
) -> RijenPagina | HttpResponse:
    """One page of the dataset: the same rows and columns as the CSV export, in the same
    order; follow `volgende` to the next page."""
    client = caller(request)
    dataset = _dataset(code)
    form = PeriodForm({"start": van or "", "end": tot or ""})
    if not form.is_valid():
        return _form_problem(request, form)
    period: Period = form.period()
    size = min(aantal, settings.KRING_API_PAGE_MAX)
    page = PAGES[dataset.slug](_research_cases(client), period, _after(code, cursor), size)
    audit.record(
        request,
        action="export",
        object_type="dataset",
        object_id=f"{dataset.slug}.api {period}".strip(),
        role=role(client),
    )
    return RijenPagina(
        kolommen=[column.name for column in dataset.columns],
        rijen=page.rows,
        volgende=_cursor(code, page.after) if page.after is not None else None,
    )


# --- Financier --------------------------------------------------------------------------


def _telling(key: str, label: str, count: int, share: int | None) -> Telling:
    return Telling(code=key, naam=str(label), aantal=count, aandeel=share)


@api.get(
    "/rapportages",
    auth=FINANCIER,
    response={200: Rapportage, **errors(400, *AUTHORISED)},
    by_alias=True,
    tags=["financier"],
)
def financier_report(
    request: HttpRequest,
    van: dt.date | None = Query(None, description="Requested from; default a year ago."),
    tot: dt.date | None = Query(None, description="Requested up to and including; default today."),
) -> Rapportage | HttpResponse:
    """The figures of this client's organisation as a financier, for a period: the same as
    the financier's report page, with the same suppression of small numbers."""
    client = caller(request)
    form = FiguresPeriodForm({"from": van or "", "to": tot or ""})
    if not form.is_valid():
        return _form_problem(request, form)
    cases = _research_cases(client)
    report = reports.financier_report(cases, client.organisation, form.period())
    execution = report.execution
    hidden = execution.suppressed
    audit.record(
        request,
        action="view",
        object_type="financier_report",
        object_id=client.organisation_id,
        role=role(client),
    )
    return Rapportage(
        financier=client.organisation.name,
        van=report.period.start,
        tot_en_met=report.period.end,
        trechter=[_telling(s.key, s.label, s.count, s.share) for s in report.funnel],
        afspraken=report.agreements,
        verzoeken_aan_organisaties=report.organisation_requests,
        verzoeken_toegezegd=report.organisation_requests_agreed,
        verzoeken_deels_toegezegd=report.organisation_requests_partly,
        uitvoering=Uitvoering(
            onderdrukt=hidden,
            uitkomsten=[]
            if hidden
            else [_telling(o.key, o.label, o.count, o.share) for o in execution.outcomes],
            beoordeeld=None if hidden else execution.rated,
            respondenten=None if hidden else execution.respondents,
            zaken=None if hidden else execution.cases,
            gemiddelde_tevredenheid=None if hidden else execution.mean_satisfaction,
            aandeel_beter=None if hidden else execution.share_better,
        ),
        toegekend_bedrag=report.approved_amount,
        toegekende_financieringen=report.approved_fundings,
        aangevraagd_bedrag=report.pending_amount,
        aangevraagde_financieringen=report.pending_fundings,
        geweigerde_financieringen=report.refused_fundings,
        kosten=report.costs,
        kostenposten=report.cost_items,
    )
