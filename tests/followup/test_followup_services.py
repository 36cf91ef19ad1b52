"""The follow-up's sweep (phase 7): the moments planned when everyone has the plan, opened by
the worker on their day — once, however many workers run and even if one is killed halfway —
the invitations at a real SMTP server, the researchers told without a name, at most two
reminders, and the consent log."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import signal
import threading
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from kring.cases.lifecycle import change_status
from kring.cases.models import Case, Status, Variant
from kring.circle import links
from kring.circle.models import Participant, Willingness
from kring.followup import services
from kring.followup.models import (
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.followup.study import study_id
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import distribution
from kring.plans import services as plan_services
from kring.plans.models import Delivery
from tests.factories import (
    CONSENT,
    DUE,
    FOLLOW_UP_CIRCLE,
    UserFactory,
    case_in_status,
    make_plan,
    noon,
    ready_for_follow_up,
    respondents_of,
    with_consent,
)

ASKED = {"anna", "bram", "carla"}
NAMES = [person[0] for person in FOLLOW_UP_CIRCLE.values()]


def body(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_body(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


# --- Planning ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2026, 10, 31), 1, dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),  # over the year's end
        (dt.date(2026, 11, 30), 12, dt.date(2027, 11, 30)),
        (dt.date(2026, 2, 28), 36, dt.date(2029, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert services.add_months(day, months) == expected


@pytest.mark.django_db
def test_the_follow_up_is_planned_when_everyone_has_the_plan(world):
    made = with_consent(make_plan(world.coordinator, world.case, circle=FOLLOW_UP_CIRCLE))
    case = made.case
    assert not FollowUp.objects.exists()
    # Everyone gets the plan: the emails go out (the demo mailbox), Carla's letter is printed.
    distribution.distribute(made.plan, user=world.coordinator)
    outbox.sweep()
    distribution.letter(made.plan, made.people["carla"], user=world.coordinator)
    distribution.posted(made.plan, made.people["carla"], user=world.coordinator)
    change_status(case, Status.PLAN_DISTRIBUTED, user=world.coordinator)
    (follow_up,) = FollowUp.objects.filter(case=case)
    # Three months after the meeting of 30 November: February has no 30th.
    assert (follow_up.months, follow_up.due_on) == (3, DUE)
    assert follow_up.state == FollowUp.State.PLANNED
    assert follow_up.overdue_on == DUE + dt.timedelta(days=28)
    # Planning again changes nothing.
    services.schedule(case)
    assert FollowUp.objects.filter(case=case).count() == 1
    # A case closed before its moment is not followed up: the moment is cancelled.
    change_status(case, Status.AFTERCARE, user=world.coordinator, dedicated=True)
    change_status(case, Status.FOLLOW_UP, user=world.manager)
    assert case.follow_ups.get().state == FollowUp.State.PLANNED
    change_status(case, Status.CLOSED, user=world.manager)
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.CANCELLED
    assert services.open_due(DUE) == 0


@pytest.mark.django_db
def test_each_variant_has_its_own_moments(world, settings):
    settings.KRING_FOLLOW_UP_MONTHS = {
        **settings.KRING_FOLLOW_UP_MONTHS,
        Variant.FAMILY: (3, 6, 12),
        Variant.NEIGHBOURHOOD: (4,),
    }
    family = case_in_status(Status.HELD, region=world.west, variant=Variant.FAMILY)
    made = ready_for_follow_up(world, case=family)
    assert [(f.months, f.due_on) for f in made.case.follow_ups.order_by("months")] == [
        (3, dt.date(2027, 2, 28)),
        (6, dt.date(2027, 5, 30)),
        (12, dt.date(2027, 11, 30)),
    ]
    neighbourhood = ready_for_follow_up(world)
    assert [(f.months, f.due_on) for f in neighbourhood.case.follow_ups.all()] == [
        (4, dt.date(2027, 3, 30))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("finalised", "due"),
    [(dt.date(2027, 1, 31), dt.date(2027, 2, 28)), (dt.date(2028, 1, 31), dt.date(2028, 2, 29))],
)
def test_a_plan_without_a_meeting_counts_from_its_first_version(world, settings, finalised, due):
    settings.KRING_FOLLOW_UP_MONTHS = {
        **settings.KRING_FOLLOW_UP_MONTHS,
        Variant.NEIGHBOURHOOD: (1,),
    }
    with time_machine.travel(noon(finalised), tick=False):
        made = make_plan(world.coordinator, world.case, circle=FOLLOW_UP_CIRCLE, with_meeting=False)
    with time_machine.travel(noon(finalised) + dt.timedelta(days=9), tick=False):
        # A second version later (the first was sent) does not move the moment.
        Delivery.objects.create(
            version=made.version, participant=made.people["carla"], channel="letter"
        )
        plan = made.plan
        plan.refresh_from_db()
        plan_services.save_plan_text(
            plan,
            answers={},
            monitors=[],
            monitor_note="Carla houdt het overzicht.",
            contingency=plan.contingency,
            user=world.coordinator,
            version=None,
        )
        assert plan_services.finalise(plan, user=world.coordinator, version=None).number == 2
        assert services.base_date(made.case) == finalised
        (follow_up,) = services.schedule(made.case)
    assert (follow_up.months, follow_up.due_on) == (1, due)


# --- Opening -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_moment_opens_on_its_day_asks_who_agreed_and_tells_researchers(world, smtp, settings):
    settings.KRING_RESEARCH_PHONE = "020-123 45 67"
    second_researcher = UserFactory(email="onderzoek2@kring.test", is_researcher=True)
    UserFactory(email="oud@kring.test", is_researcher=True, is_active=False)
    made = ready_for_follow_up(world)
    (follow_up,) = made.case.follow_ups.all()

    with time_machine.travel(noon(DUE - dt.timedelta(days=1)), tick=False):
        assert services.open_due() == 0
        services.sweep()
        assert outbox.sweep() == 0
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.PLANNED and not Respondent.objects.exists()

    with time_machine.travel(noon(DUE), tick=False):
        assert services.open_due(worker="kring-test") == 1
        assert services.open_due(worker="kring-test") == 0  # once
        sent = outbox.sweep()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.OPEN
    assert follow_up.opened_by == "kring-test" and follow_up.opened_at is not None
    # One respondent for each who agreed, and did not say no to taking part.
    respondents = respondents_of(made)
    assert set(respondents) == ASKED
    assert {r.category for r in respondents.values()} == {"resident", "neighbour"}
    assert len({r.code for r in respondents.values()}) == 3
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", r.code) for r in respondents.values())
    # Invited by email: Anna and Bram; Carla has no email and waits for her letter.
    assert respondents["anna"].invited_at is not None
    assert respondents["carla"].invited_at is None
    assert set(
        ContactAttempt.objects.filter(kind="invitation", channel="email").values_list(
            "respondent__participant__name", flat=True
        )
    ) == {"Anna de Boer", "Bram Smit"}

    # Over SMTP: two invitations and one message to each active researcher.
    assert sent == 4 == len(smtp.messages)
    by_to = {str(m["To"]): m for m in smtp.messages}
    assert set(by_to) == {
        "anna@voorbeeld.test",
        "bram@voorbeeld.test",
        world.researcher.email,
        second_researcher.email,
    }
    invitation = by_to["bram@voorbeeld.test"]  # Bram reads English
    text = body(invitation)
    assert str(invitation["Subject"]).startswith("How did the plan go?")
    assert "Dear Bram Smit" in text and "voluntary" in text
    assert respondents["bram"].code in text and "020-123 45 67" in text
    (token,) = re.findall(r"/p/([A-Za-z0-9_-]+)/", text)
    link = links.resolve(token)
    assert link is not None and link.participant == made.people["bram"]
    assert token in html_body(invitation)
    # The stored copy no longer holds the token once sent.
    assert token not in OutboxMessage.objects.get(to_addresses=["bram@voorbeeld.test"]).body_text
    assert respondents["anna"].code in body(by_to["anna@voorbeeld.test"])

    # The researchers learn the study ID, the moment and the counts: no name, no place.
    with translation.override(settings.LANGUAGE_CODE):  # staff mail: Kring's language
        counts = ngettext(
            "%(counter)s respondent: %(email)s invited by email, %(letter)s by letter or phone.",
            "%(counter)s respondents: %(email)s invited by email, %(letter)s by letter or phone.",
            3,
        ) % {"counter": 3, "email": 2, "letter": 1}
    for address in (world.researcher.email, second_researcher.email):
        message = by_to[address]
        everything = str(message["Subject"]) + body(message) + html_body(message)
        assert study_id(made.case) in everything
        assert reverse("follow_up", args=[follow_up.pk]) in everything
        assert counts in body(message)
        for secret in [*NAMES, made.case.place, made.case.reference, "Molenstraat"]:
            assert secret not in everything, secret
        for respondent in respondents.values():
            assert respondent.code not in everything
    assert made.case.events.filter(action="follow_up.opened").exists()


@pytest.mark.django_db
def test_a_moment_of_a_case_that_ended_is_not_opened(world):
    made = ready_for_follow_up(world)
    Case.objects.filter(pk=made.case.pk).update(status=Status.CLOSED)
    assert services.open_due(DUE) == 0
    assert made.case.follow_ups.get().state == FollowUp.State.CANCELLED
    assert not Respondent.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_round_opens_due_follow_ups(world, smtp):
    made = ready_for_follow_up(world)
    OutboxMessage.objects.all().delete()
    with time_machine.travel(noon(DUE), tick=False):
        call_command("worker", "--once")
    follow_up = made.case.follow_ups.get()
    assert follow_up.state == FollowUp.State.OPEN
    assert follow_up.opened_by.startswith("kring-")
    assert set(respondents_of(made)) == ASKED
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(
        ["anna@voorbeeld.test", "bram@voorbeeld.test", world.researcher.email]
    )


# --- Two workers, and a killed one ---------------------------------------------------------


def _cases_due(world: Any, count: int, start: int) -> list[Case]:
    """``count`` cases with a moment due today and three people who agreed (two by email)."""
    cases = []
    today = timezone.localdate()
    for n in range(start, start + count):
        case = case_in_status(Status.FOLLOW_UP, region=world.west, place=f"Plein {n}")
        for key, email in (("a", f"a{n}@voorbeeld.test"), ("b", f"b{n}@voorbeeld.test"), ("c", "")):
            Participant.objects.create(
                case=case,
                name=f"Persoon {key}{n}",
                email=email,
                category="resident",
                willingness=Willingness.YES,
                research_consent=True,
            )
        Participant.objects.create(
            case=case, name=f"Zonder {n}", email=f"z{n}@voorbeeld.test", category="resident"
        )
        FollowUp.objects.create(case=case, months=3, due_on=today)
        cases.append(case)
    return cases


def _assert_opened_once(cases: list[Case]) -> None:
    for case in cases:
        follow_up = FollowUp.objects.get(case=case)
        assert follow_up.state == FollowUp.State.OPEN
        assert follow_up.version == 2  # claimed once
        assert follow_up.respondents.count() == 3
        assert OutboxMessage.objects.filter(purpose="followup.invitation", case=case).count() == 2
        assert (
            ContactAttempt.objects.filter(
                respondent__follow_up=follow_up, kind="invitation"
            ).count()
            == 2
        )
        assert case.events.filter(action="follow_up.opened").count() == 1
    # One message per moment to the one researcher.
    assert OutboxMessage.objects.filter(purpose="followup.opened").count() == len(
        FollowUp.objects.filter(state=FollowUp.State.OPEN)
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_open_each_moment_once(world):
    opened: list[int] = []
    errors: list[BaseException] = []
    all_cases: list[Case] = []
    for round_ in range(3):
        cases = _cases_due(world, 4, start=round_ * 10)
        all_cases += cases
        barrier = threading.Barrier(2)

        def work(name: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                opened.append(services.open_due(worker=name))
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sum(opened) == 4 * (round_ + 1)
        _assert_opened_once(all_cases)
    # Both workers took part over the rounds, or one took everything: either way once each.
    assert set(FollowUp.objects.values_list("opened_by", flat=True)) <= {"worker-0", "worker-1"}
    assert Respondent.objects.count() == 3 * len(all_cases)


inherited: list[Any] = []


def _claim_and_die(follow_up_id: int, report: Any) -> None:
    """In a forked worker: open the moment, and die by SIGKILL with the transaction open —
    after the claim and the respondents, at the first invitation."""

    # A connection object inherited from the parent shares its socket: using it would run the
    # child's transaction on the parent's session, which no kill ends. Fresh ones for the
    # child; the inherited ones are kept (not closed, which would end the parent's session).
    inherited.extend(connections[alias] for alias in connections)
    for alias in connections:
        connections[alias] = connections.create_connection(alias)

    def killed(respondent: Respondent, **kwargs: Any) -> None:
        follow_up = FollowUp.objects.get(pk=follow_up_id)
        report.send((follow_up.state, follow_up.opened_by, follow_up.respondents.count()))
        report.close()
        os.kill(os.getpid(), signal.SIGKILL)

    with mock.patch.object(services, "invite_by_email", killed):
        services.open_due(worker="doomed")
    report.send(("not killed", "", 0))  # pragma: no cover - the test fails on it


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_halfway_leaves_the_moment_to_the_next(world, smtp):
    (case,) = _cases_due(world, 1, start=0)
    follow_up = FollowUp.objects.get(case=case)
    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_claim_and_die, args=(follow_up.pk, sender))
    child.start()
    sender.close()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    # Inside its transaction the child had claimed the moment and made the respondents…
    assert receiver.recv() == (FollowUp.State.OPEN, "doomed", 3)
    # …and none of it is there: the moment is planned as before.
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.opened_by, follow_up.version) == ("planned", "", 1)
    assert not Respondent.objects.exists() and not OutboxMessage.objects.exists()

    # The next round opens it, once.
    assert services.open_due(worker="next") == 1
    assert services.open_due(worker="next") == 0
    follow_up.refresh_from_db()
    assert follow_up.opened_by == "next"
    _assert_opened_once([case])
    assert outbox.sweep() == 3
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(
        ["a0@voorbeeld.test", "b0@voorbeeld.test", world.researcher.email]
    )


# --- Reminders -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_at_most_two_reminders_and_none_to_who_answered_declined_or_withdrew(world, smtp, settings):
    settings.KRING_FOLLOW_UP_REMINDER_DAYS = 10
    circle = {
        **FOLLOW_UP_CIRCLE,
        "gerda": ("Gerda Veen", "gerda@voorbeeld.test", "yes", "resident", "", "en"),
        "hans": ("Hans Dijk", "hans@voorbeeld.test", "yes", "resident", "", "en"),
        "ilse": ("Ilse Berg", "ilse@voorbeeld.test", "yes", "resident", "", "en"),
        "jan": ("Jan Wit", "jan@voorbeeld.test", "yes", "resident", "", "en"),
    }
    made = with_consent(
        make_plan(world.coordinator, world.case, circle=circle),
        {**CONSENT, "gerda": True, "hans": True, "ilse": True, "jan": True},
    )
    Case.objects.filter(pk=made.case.pk).update(status=Status.PLAN_DISTRIBUTED)
    services.schedule(made.case)
    opened = noon(DUE)
    with time_machine.travel(opened, tick=False) as traveller:
        services.open_due()
        outbox.sweep()
        smtp.messages.clear()
        respondents = respondents_of(made)
        assert set(respondents) == {"anna", "bram", "carla", "gerda", "hans", "ilse", "jan"}
        # Gerda does not want to answer, Hans withdraws his consent, Ilse now says no to
        # taking part, and Jan answers.
        services.decline(respondents["gerda"])
        services.set_consent(made.people["hans"], False, via=ConsentChange.Via.OWN_PAGE)
        Participant.objects.filter(pk=made.people["ilse"].pk).update(willingness=Willingness.NO)
        answers = services.Answers(
            outcomes={a.pk: "done" for a in services.agreements_of(made.case)},
            better=4,
            satisfaction=8,
            recommend=True,
            new_conference="no",
            remark="",
        )
        services.save_answers(respondents["jan"], answers, via=Respondent.Via.OWN_PAGE)

        def remind() -> list[Any]:
            services.send_reminders()
            outbox.sweep()
            sent = sorted(smtp.messages, key=lambda m: str(m["To"]))
            smtp.messages.clear()
            return sent

        def to(messages: list[Any]) -> list[str]:
            return [str(m["To"]) for m in messages]

        traveller.move_to(opened + dt.timedelta(days=9, hours=23))
        assert remind() == []
        traveller.move_to(opened + dt.timedelta(days=10, hours=1))
        first = remind()
        assert to(first) == ["anna@voorbeeld.test", "bram@voorbeeld.test"]
        assert "This is reminder 1 of at most 2." in body(first[1])
        assert remind() == []  # not again in the same round
        assert Respondent.objects.get(pk=respondents["bram"].pk).reminders == 1
        # Anna answers after the first reminder: she gets no second.
        services.save_answers(respondents["anna"], answers, via=Respondent.Via.OWN_PAGE)
        traveller.move_to(opened + dt.timedelta(days=19))
        assert remind() == []
        traveller.move_to(opened + dt.timedelta(days=20, hours=2))
        (second,) = remind()
        assert str(second["To"]) == "bram@voorbeeld.test"
        text = body(second)
        assert "This is reminder 2 of at most 2." in text and "I don't want to answer" in text
        assert respondents["bram"].code not in text or "020" not in text  # no phone set
        (token,) = re.findall(r"/p/([A-Za-z0-9_-]+)/", text)
        assert links.resolve(token) is not None  # a fresh, working link
        for days in (31, 45, 90):
            traveller.move_to(opened + dt.timedelta(days=days))
            assert remind() == []
    assert Respondent.objects.get(pk=respondents["bram"].pk).reminders == 2
    assert dict(
        Respondent.objects.filter(follow_up__case=made.case).values_list(
            "participant__name", "reminders"
        )
    ) == {
        "Anna de Boer": 1,
        "Bram Smit": 2,
        "Carla Dekker": 0,  # a letter: no email reminders
        "Gerda Veen": 0,
        "Hans Dijk": 0,
        "Ilse Berg": 0,
        "Jan Wit": 0,
    }
    assert ContactAttempt.objects.filter(kind="reminder").count() == 3


# --- Consent -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_change_of_consent_is_logged_once(world):
    person = Participant.objects.create(case=world.case, name="Anna", category="resident")
    assert person.research_consent is None
    assert services.set_consent(person, True, via=ConsentChange.Via.OWN_PAGE) is True
    assert services.set_consent(person, True, via=ConsentChange.Via.OWN_PAGE) is False
    assert services.set_consent(person, False, via=ConsentChange.Via.STAFF, user=world.manager)
    assert services.set_consent(person, False, via=ConsentChange.Via.STAFF, user=world.manager) is (
        False
    )
    assert services.set_consent(person, True, via=ConsentChange.Via.OWN_PAGE)
    person.refresh_from_db()
    assert person.research_consent is True
    assert list(
        ConsentChange.objects.filter(participant=person).values_list("given", "via", "recorded_by")
    ) == [(True, "own_page", None), (False, "staff", world.manager.pk), (True, "own_page", None)]
