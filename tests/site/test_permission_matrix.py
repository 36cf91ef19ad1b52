"""Every URL in the URLconf, for every role: who gets the page, who gets a 404, who must sign
in. A new URL without an expectation here fails `test_every_url_has_an_expectation`."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.cases.models import Assignment, BottomLine, Case, Funding, Status
from kring.circle.models import InformationNeed, Participant
from kring.meetings.models import CostItem, DateOption, Invitation, Meeting
from kring.messaging.models import OutboxAttachment, OutboxMessage
from kring.research import export_files
from kring.research.dataset import DATASETS
from kring.research.period import Period
from tests.factories import case_in_status

ROLES = [
    "anonymous",
    "manager",
    "other_manager",
    "coordinator",
    "other_coordinator",
    "researcher",
    "administrator",
]
OK, LOGIN, NOT_FOUND, REDIRECT = 200, "login", 404, 302


def expect(
    anonymous,
    manager,
    other_manager,
    coordinator,
    other_coordinator,
    researcher,
    administrator,
    method="get",
):
    return {
        "method": method,
        **dict(
            zip(
                ROLES,
                [
                    anonymous,
                    manager,
                    other_manager,
                    coordinator,
                    other_coordinator,
                    researcher,
                    administrator,
                ],
                strict=True,
            )
        ),
    }


STAFF_ONLY = expect(LOGIN, OK, OK, OK, OK, OK, OK)
CASE_WORK = expect(LOGIN, OK, OK, OK, OK, NOT_FOUND, NOT_FOUND)
THIS_CASE = expect(LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND)
PUBLIC = expect(OK, OK, OK, OK, OK, OK, OK)
MANAGERS = expect(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
# Only the manager of the case's region; the coordinator of the case does not do the intake.
THIS_MANAGER = expect(LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
# An empty POST: 400 for the case's manager, 404 for everyone else.
THIS_MANAGER_POST = expect(
    LOGIN, 400, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
)
# The people of the case: its manager and its (accepted) coordinator.
THIS_CASE_POST = expect(LOGIN, 400, NOT_FOUND, 400, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post")
THIS_CASE_REDIRECT = expect(
    LOGIN, REDIRECT, NOT_FOUND, REDIRECT, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
)
# Only a coordinator with an open request for the case; world.case's coordinator accepted it.
NO_OPEN_REQUEST = expect(
    LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
)
ADMIN_ONLY = expect(LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK)
RESEARCHER_ONLY = expect(LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND)
# An empty POST: 400 for a researcher, 404 for everyone else.
RESEARCHER_POST = expect(
    LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, 400, NOT_FOUND, method="post"
)
# Figures: managers (their regions), researchers and administrators (national).
FIGURES = expect(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, OK, OK)
# A financier of world.case (region west): its manager, researchers and administrators.
THIS_FINANCIER = expect(LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK)

# Kring's own URLs: an explicit expectation per role.
EXPECTATIONS = {
    "home": expect(OK, OK, OK, OK, OK, OK, OK),
    "set_language": expect(
        REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, method="post"
    ),
    "start": STAFF_ONLY,
    "case_list": CASE_WORK,
    "case_detail": THIS_CASE,
    # A POST without a valid step: 400 for those who may see the case, 404 for the rest.
    "case_change_status": expect(
        LOGIN, 400, NOT_FOUND, 400, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "request_form": PUBLIC,
    "request_received": PUBLIC,
    "privacy": PUBLIC,
    "contact": PUBLIC,
    "accessibility_statement": PUBLIC,
    "security_txt": PUBLIC,
    # Health is public and says nothing about people; no worker runs in this test, so the
    # readiness check answers 503 to everyone alike.
    "health_live": PUBLIC,
    "health_ready": expect(503, 503, 503, 503, 503, 503, 503),
    # Metrics need a token or an allowed address (tests/operations/test_operations.py); without,
    # a 404 for everyone, administrators included.
    "metrics": expect(404, 404, 404, 404, 404, 404, 404),
    "favicon": expect(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    # Every coordinator has a profile page of their own; other roles have none.
    "coordinator_profile": expect(LOGIN, NOT_FOUND, NOT_FOUND, OK, OK, NOT_FOUND, NOT_FOUND),
    # Every staff member's own choice of the daily email.
    "digest_setting": expect(LOGIN, OK, OK, OK, OK, OK, OK),
    "case_create": MANAGERS,
    "question_check": expect(
        LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "case_move": THIS_MANAGER_POST,
    "case_intake": THIS_MANAGER,
    "case_access": THIS_MANAGER,
    "person_rights": THIS_MANAGER,
    "person_export": THIS_MANAGER,
    # Confirming someone else's request: an empty one does not exist → 404 for all but ...
    "erasure_confirm": expect(
        LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "erasure_requests": expect(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK),
    "bottom_line_add": THIS_MANAGER_POST,
    "bottom_line_remove": THIS_MANAGER_POST,
    "funding_add": THIS_MANAGER_POST,
    "funding_edit": THIS_MANAGER,
    "case_match": THIS_MANAGER,
    "case_conflict": THIS_MANAGER_POST,
    "assignment_accept": NO_OPEN_REQUEST,
    "assignment_decline": NO_OPEN_REQUEST,
    "circle": THIS_CASE,
    "participant_detail": THIS_CASE,
    "participant_contact": THIS_CASE_POST,
    "participant_informed": THIS_CASE_POST,
    "participant_willingness": THIS_CASE_POST,
    "participant_link": THIS_CASE_REDIRECT,
    # Stopping someone's links: an empty POST lacks the reason (400) for the case's people.
    "participant_links_revoke": THIS_CASE_POST,
    "participant_remove": THIS_CASE_POST,
    "participant_merge": THIS_CASE_POST,
    "letter": THIS_CASE,
    # Makes the letter (a new link) and answers with the PDF: the case's manager and coordinator.
    "participant_information_letter": expect(
        LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "information_need_add": THIS_CASE_POST,
    "information_need_remove": THIS_CASE_REDIRECT,
    "dates": THIS_CASE,
    "date_answer": THIS_CASE_POST,
    # The coordinator chooses the date (first a confirmation page); the manager is told why
    # not (409).
    "date_choose": expect(
        LOGIN, 409, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "date_remove": THIS_CASE_REDIRECT,
    "meeting": THIS_CASE,
    "cost_add": THIS_CASE_POST,
    "cost_remove": THIS_CASE_REDIRECT,
    # No date chosen yet: refused with a reason, for those who may see the case.
    "invitations_send": expect(
        LOGIN, 409, NOT_FOUND, 409, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "updates_send": expect(
        LOGIN, 409, NOT_FOUND, 409, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "meeting_cancel": THIS_CASE_POST,
    # The conference and the plan (world.case moved to "held", see _url).
    "conference": THIS_CASE,
    "plan": THIS_CASE,
    "plan_check": expect(LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"),
    "plan_item_add": THIS_CASE_POST,
    "plan_item": THIS_CASE,
    "plan_item_remove": THIS_CASE_POST,
    "plan_item_move": THIS_CASE_POST,
    "plan_finalise": THIS_CASE_POST,
    "plan_outcome": THIS_CASE_POST,
    "plan_endorsements": THIS_CASE_REDIRECT,
    "plan_bottom_line": THIS_CASE_POST,
    "plan_pdf": THIS_CASE,
    "plan_distribution": THIS_CASE,
    "plan_letter": THIS_CASE,
    "plan_resend": THIS_CASE_REDIRECT,
    # The letter is not made yet: refused with a reason, for those who may see the case.
    "plan_letter_posted": expect(
        LOGIN, 409, NOT_FOUND, 409, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "plan_recipient_add": THIS_CASE_REDIRECT,
    "aftercare": THIS_CASE,
    "portal_plan_pdf": expect(
        NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND
    ),
    "portal_calendar": expect(
        NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND
    ),
    # A bogus personal link: the one "link not valid" page, for everyone.
    "portal": expect(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    # Without a working link: ask for a new one, or type a letter's code. No case on either.
    "new_link": PUBLIC,
    "portal_code": PUBLIC,
    # Retention periods and upcoming anonymisations: managers (their regions), administrators.
    "retention_overview": expect(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK),
    # The follow-up (world.case in follow-up with an open moment, see _url).
    "case_follow_on": THIS_MANAGER,
    "case_follow_up": THIS_MANAGER,
    "follow_up_letter": expect(
        LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, method="post"
    ),
    "follow_ups": RESEARCHER_ONLY,
    "follow_up_find": RESEARCHER_ONLY,
    "follow_up": RESEARCHER_ONLY,
    "follow_up_answer": RESEARCHER_ONLY,
    "follow_up_add": RESEARCHER_POST,
    "follow_up_close": RESEARCHER_POST,
    "follow_up_call": RESEARCHER_POST,
    # Research: figures for managers, researchers and administrators; rows for researchers.
    "dashboard": FIGURES,
    "financiers": FIGURES,
    "financier_report": THIS_FINANCIER,
    "financier_report_pdf": THIS_FINANCIER,
    "datasets": RESEARCHER_ONLY,
    "dataset_download": RESEARCHER_ONLY,
    "dataset_dictionary": RESEARCHER_ONLY,
    "dataset_download_nl": RESEARCHER_ONLY,
    "dataset_dictionary_nl": RESEARCHER_ONLY,
    # Export files (issue 18): asked for by a researcher; a file is only its requester's.
    "export_file_request": RESEARCHER_POST,
    "export_file": RESEARCHER_ONLY,
    "export_file_download": RESEARCHER_ONLY,
    "outbox_list": ADMIN_ONLY,
    # A message to a participant of world.case: its manager, its coordinator, administrators.
    "outbox_message": expect(LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK),
    "outbox_message_html": expect(LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK),
    "outbox_attachment": expect(LOGIN, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK),
    "outbox_retry": expect(
        LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT, method="post"
    ),
    # API clients are registered and revoked by administrators only.
    "api_clients": ADMIN_ONLY,
    "api_client_revoke": expect(
        LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT, method="post"
    ),
}
# Third-party URL groups, each with the rule checked below.
GROUPS = {
    "admin:": "only administrators reach the Django admin",
    "account_": "allauth's sign-in pages: public or own-account only, never a case",
    "mfa_": "allauth's second-factor pages: own account only, never a case",
    # Sessions and roles mean nothing to the API: tests/api/test_api_permissions.py checks every
    # operation of its OpenAPI document for every kind of API client and for anonymous.
    "api:": "the public API: every operation × every kind of client, in its own matrix",
}


def all_url_names(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from all_url_names(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern):
            yield prefix + (pattern.name or f"<unnamed {pattern.pattern}>")


def test_every_url_has_an_expectation():
    missing = [
        name
        for name in all_url_names()
        if name not in EXPECTATIONS and not name.startswith(tuple(GROUPS))
    ]
    assert missing == [], f"Add these URLs to the permission matrix: {missing}"


CASE_URLS = {
    "case_access",
    "circle",
    "information_need_add",
    "dates",
    "date_answer",
    "meeting",
    "cost_add",
    "invitations_send",
    "updates_send",
    "meeting_cancel",
    "case_detail",
    "case_change_status",
    "case_move",
    "case_intake",
    "bottom_line_add",
    "funding_add",
    "case_match",
    "case_conflict",
    "assignment_accept",
    "assignment_decline",
}


# Reached with world.case after its conference: held, with a finalised plan.
PLAN_URLS = {
    "conference",
    "plan",
    "plan_check",
    "plan_finalise",
    "plan_outcome",
    "plan_endorsements",
    "plan_distribution",
    "aftercare",
}
PLAN_ITEM_URLS = {"plan_item_add", "plan_item", "plan_item_remove", "plan_item_move"}
PLAN_PERSON_URLS = {"plan_letter", "plan_letter_posted", "plan_resend", "plan_recipient_add"}


def held_with_plan(case):
    """Move ``case`` past its meeting: held, attendance, a plan with one agreement, version 1."""
    from kring.meetings.models import Attendance
    from kring.plans.models import Agreement, Plan, PlanVersion

    start = timezone.now() - dt.timedelta(days=1)
    meeting, _created = Meeting.objects.update_or_create(
        case=case, defaults={"starts_at": start, "ends_at": start + dt.timedelta(hours=3)}
    )
    existing = Plan.objects.filter(case=case).first()
    if existing is not None:  # a second URL of the same test: the case is already held
        agreement = existing.agreements.get()
        people = {p.name: p for p in Participant.objects.filter(case=case)}
        return (
            existing,
            agreement,
            {
                "email": people["Ayse Kaya"],
                "letter": people["Carla Dekker"],
                "declined": people["Dirk Bos"],
            },
        )
    Case.objects.filter(pk=case.pk).update(status=Status.HELD)
    case.status = Status.HELD
    people = {
        key: Participant.objects.create(
            case=case,
            name=name,
            category="resident",
            email=email,
            postal_address="Molenstraat 1\n1053 AB Amsterdam",
            willingness=willing,
        )
        for key, name, email, willing in (
            ("email", "Ayse Kaya", "ayse@voorbeeld.test", "yes"),
            ("letter", "Carla Dekker", "", "yes"),
            ("declined", "Dirk Bos", "dirk@voorbeeld.test", "no"),
        )
    }
    Attendance.objects.create(meeting=meeting, participant=people["email"], information=True)
    plan = Plan.objects.create(case=case, outcome=Plan.Outcome.ACCEPTED)
    agreement = Agreement.objects.create(
        plan=plan, what="De muziek gaat om 22.00 uur uit.", when="recurring", recurrence="elke dag"
    )
    agreement.who.add(people["email"])
    from kring.plans.services import snapshot

    PlanVersion.objects.create(plan=plan, number=1, content=snapshot(plan))
    return plan, agreement, people


PARTICIPANT_URLS = {
    "participant_detail",
    "participant_remove",
    "participant_merge",
    "participant_contact",
    "participant_informed",
    "participant_willingness",
    "participant_link",
    "participant_links_revoke",
    "participant_information_letter",
    "letter",
}


FOLLOW_UP_CASE_URLS = {"case_follow_on", "case_follow_up"}
FOLLOW_UP_URLS = {"follow_up", "follow_up_add", "follow_up_close"}
RESPONDENT_URLS = {"follow_up_answer", "follow_up_call"}


def followed_up(case):
    """``case`` after its plan and aftercare: in follow-up, with an open moment and two
    respondents (one reached by email, one by letter)."""
    from kring.followup.models import FollowUp, Respondent

    _plan, _agreement, people = held_with_plan(case)
    Case.objects.filter(pk=case.pk).update(status=Status.FOLLOW_UP)
    case.status = Status.FOLLOW_UP
    follow_up, created = FollowUp.objects.get_or_create(
        case=case,
        months=3,
        defaults={
            "due_on": timezone.localdate(),
            "state": FollowUp.State.OPEN,
            "opened_at": timezone.now(),
        },
    )
    if created:
        for key in ("email", "letter"):
            Participant.objects.filter(pk=people[key].pk).update(research_consent=True)
            Respondent.objects.create(
                follow_up=follow_up, participant=people[key], category="resident"
            )
    respondents = follow_up.respondents.select_related("participant")
    return follow_up, {
        ("email" if r.participant is not None and r.participant.email else "letter"): r
        for r in respondents
    }


def _url(name, world):
    if name in FOLLOW_UP_CASE_URLS:
        followed_up(world.case)
        return reverse(name, args=[world.case.reference])
    if name == "follow_up_letter":
        _follow_up, respondents = followed_up(world.case)
        return reverse(name, args=[world.case.reference, respondents["letter"].participant_id])
    if name in FOLLOW_UP_URLS:
        follow_up, _respondents = followed_up(world.case)
        return reverse(name, args=[follow_up.pk])
    if name in RESPONDENT_URLS:
        follow_up, respondents = followed_up(world.case)
        return reverse(name, args=[follow_up.pk, respondents["email"].pk])
    if name in ("financier_report", "financier_report_pdf"):
        organisation, _created = Organisation.objects.get_or_create(name="Gemeente Financier")
        Funding.objects.create(case=world.case, organisation=organisation, decision="approved")
        return reverse(name, args=[organisation.pk])
    if name == "dataset_download":
        return reverse(name, args=["zaken", "csv"])
    if name in ("dataset_download_nl", "dataset_dictionary_nl"):
        return reverse(name, args=["zaken"])
    if name == "dataset_dictionary":
        return reverse(name, args=["zaken"])
    if name in ("export_file", "export_file_download"):
        job = export_files.request_export(world.researcher, DATASETS["zaken"], "csv", Period())
        export_files.build(job.pk, "matrix")
        return reverse(name, args=[job.pk])
    if name in PLAN_URLS:
        held_with_plan(world.case)
        return reverse(name, args=[world.case.reference])
    if name in PLAN_ITEM_URLS:
        _plan, agreement, _people = held_with_plan(world.case)
        args = [world.case.reference, "agreement"]
        return reverse(name, args=args if name == "plan_item_add" else [*args, agreement.pk])
    if name in PLAN_PERSON_URLS:
        _plan, _agreement, people = held_with_plan(world.case)
        person = {
            "plan_letter": "letter",
            "plan_letter_posted": "letter",
            "plan_resend": "email",
        }.get(name, "declined")
        return reverse(name, args=[world.case.reference, people[person].pk])
    if name == "plan_pdf":
        held_with_plan(world.case)
        return reverse(name, args=[world.case.reference, 1])
    if name == "plan_bottom_line":
        held_with_plan(world.case)
        line = BottomLine.objects.create(case=world.case, text="x", set_by="y", mandate="z")
        return reverse(name, args=[world.case.reference, line.pk])
    if name in ("portal_plan_pdf", "portal_calendar"):
        return reverse(name, args=["onbekend-token"])
    if name in CASE_URLS:
        return reverse(name, args=[world.case.reference])
    if name in PARTICIPANT_URLS:
        participant = Participant.objects.create(
            case=world.case,
            name="Deelnemer Een",
            category="resident",
            email="" if name == "letter" else "een@voorbeeld.test",
            postal_address="Molenstraat 1\n1053 AB Amsterdam",
            willingness="yes",
        )
        if name == "letter":
            start = timezone.now() + dt.timedelta(days=20)
            meeting = Meeting.objects.create(
                case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
            )
            Invitation.objects.create(
                meeting=meeting, participant=participant, kind="invitation", channel="letter"
            )
        return reverse(name, args=[world.case.reference, participant.pk])
    if name in ("person_rights", "person_export"):
        args = [world.case.reference, "requester", world.case.pk]
        return reverse(name, args=args + (["json"] if name == "person_export" else []))
    if name == "erasure_confirm":
        return reverse(name, args=[world.case.reference, 999999])
    if name == "information_need_remove":
        need = InformationNeed.objects.create(case=world.case, question="Wat zegt de politie?")
        return reverse(name, args=[world.case.reference, need.pk])
    if name in ("date_choose", "date_remove"):
        start = timezone.now() + dt.timedelta(days=10)
        option = DateOption.objects.create(
            case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
        )
        return reverse(name, args=[world.case.reference, option.pk])
    if name == "cost_remove":
        item = CostItem.objects.create(case=world.case, description="Zaalhuur", amount=100)
        return reverse(name, args=[world.case.reference, item.pk])
    if name == "portal":
        return reverse(name, args=["onbekend-token"])
    if name == "bottom_line_remove":
        line = BottomLine.objects.create(case=world.case, text="x", set_by="y", mandate="z")
        return reverse(name, args=[world.case.reference, line.pk])
    if name == "funding_edit":
        funding = Funding.objects.create(
            case=world.case, organisation=Organisation.objects.create(name="Gemeente Test")
        )
        return reverse(name, args=[world.case.reference, funding.pk])
    if name in ("outbox_message", "outbox_retry", "outbox_message_html", "outbox_attachment"):
        participant = Participant.objects.create(
            case=world.case, name="Ontvanger Een", category="resident", email="a@test"
        )
        message = OutboxMessage.objects.create(
            purpose="circle.link",
            case=world.case,
            participant=participant,
            from_address="kring@test",
            to_addresses=["a@test"],
            subject="Test",
            body_text="Test",
            body_html="<p>Test</p>",
            status=OutboxMessage.Status.FAILED,
        )
        if name == "outbox_attachment":
            attachment = OutboxAttachment.objects.create(
                message=message,
                filename="uitnodiging.ics",
                content_type="text/calendar",
                content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            )
            return reverse(name, args=[message.pk, attachment.pk])
        return reverse(name, args=[message.pk])
    if name == "api_client_revoke":
        from kring.api.services import register_client

        client, _secret = register_client(
            name="Client",
            organisation=Organisation.objects.get_or_create(name="Gemeente Client")[0],
            scopes=["onderzoek"],
            region=None,
            expires_on=timezone.localdate() + dt.timedelta(days=10),
            user=world.administrator,
        )
        return reverse(name, args=[client.pk])
    return reverse(name)


def body_of(response) -> bytes:
    """The whole body, also of a streamed download (the dataset exports)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _client_for(role, world, client):
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_permission_matrix(name, role, world, client):
    expectation = EXPECTATIONS[name]
    url = _url(name, world)
    client = _client_for(role, world, client)
    response = getattr(client, expectation["method"])(url)
    expected = expectation[role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected, (name, role, response.status_code)
    if response.status_code == 200 and role not in ("manager", "coordinator"):
        # Nobody outside the case's scope ever sees its reference or requester.
        assert world.case.requester_name.encode() not in body_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_reach_the_django_admin(role, world, client):
    client = _client_for(role, world, client)
    for name in (
        "admin:index",
        "admin:accounts_user_changelist",
        "admin:accounts_region_changelist",
    ):
        response = client.get(reverse(name))
        if role == "administrator":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, (name, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_allauth_pages_never_fail_or_show_cases(role, world, client):
    client = _client_for(role, world, client)
    for name in all_url_names():
        if not name.startswith(("account_", "mfa_")):
            continue
        pattern = reverse_pattern(name)
        url = re.sub(r"<[^>]+>", "x1-y", pattern)
        response = client.get("/" + url)
        assert response.status_code in (200, 302, 404, 405), (name, role, response.status_code)
        assert world.case.reference.encode() not in response.content


def reverse_pattern(name):
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "account/":
            for sub in _flatten(pattern.url_patterns, "account/"):
                if sub[0] == name:
                    return sub[1]
    raise AssertionError(name)


def _flatten(patterns, prefix):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _flatten(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield pattern.name, prefix + str(pattern.pattern)


@pytest.mark.django_db
def test_an_asked_coordinator_sees_a_summary_and_nothing_of_the_intake(world, client):
    """Until they accept, a coordinator sees what the case is about, not who is in it."""
    case = case_in_status(
        Status.COORDINATOR_ASSIGNED,
        coordinator=world.other_coordinator,
        region=world.west,
        requester_name="Geheime Aanvrager",
        requester_email="geheim@voorbeeld.test",
        requester_phone="06-99887766",
        address="Verborgen Steeg 7",
        description="Details over de buren die alleen de manager en de coördinator zien.",
        intake_notes="Vertrouwelijke aantekening",
    )
    BottomLine.objects.create(case=case, text="x", set_by="y", mandate="z")
    client.force_login(world.other_coordinator)
    detail = client.get(case.get_absolute_url())
    assert detail.status_code == 200
    for secret in (
        "Geheime Aanvrager",
        "geheim@voorbeeld.test",
        "06-99887766",
        "Verborgen Steeg",
        "Details over de buren",
        "Vertrouwelijke aantekening",
    ):
        assert secret not in detail.text, secret
    for name in ("case_intake", "case_match"):
        assert client.get(reverse(name, args=[case.reference])).status_code == 404
    for name in ("case_move", "funding_add", "bottom_line_add", "case_conflict"):
        assert client.post(reverse(name, args=[case.reference])).status_code == 404
    # Once they accept, the people appear.
    client.post(
        reverse("assignment_accept", args=[case.reference]),
        {"no_stake": "on", "no_link": "on", "no_say": "on"},
    )
    assert "Geheime Aanvrager" in client.get(case.get_absolute_url()).text


CASE_SCOPED = (
    CASE_URLS
    | PARTICIPANT_URLS
    | PLAN_URLS
    | PLAN_ITEM_URLS
    | PLAN_PERSON_URLS
    | {
        "plan_pdf",
        "plan_bottom_line",
    }
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    sorted(
        name for name in CASE_SCOPED if EXPECTATIONS[name]["coordinator"] not in (NOT_FOUND, LOGIN)
    ),
)
def test_a_handed_over_coordinator_reaches_nothing_of_the_case(name, world, client):
    """After the aftercare call the case is handed over: every URL of it answers 404 to the
    coordinator who worked on it, while its manager keeps it."""
    url = _url(name, world)
    Case.objects.filter(pk=world.case.pk).update(status=Status.FOLLOW_UP)
    Assignment.objects.filter(case=world.case).update(state=Assignment.State.ENDED)
    client.force_login(world.coordinator)
    method = EXPECTATIONS[name]["method"]
    assert getattr(client, method)(url).status_code == NOT_FOUND, name
    assert world.case.reference not in client.get(reverse("case_list")).text
