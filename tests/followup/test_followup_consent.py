"""Consent given while a moment is open: the person is asked at that moment too (their own page
shows the questions at once) — but never someone who said no to taking part, and only once."""

from __future__ import annotations

import pytest

from kring.circle.models import Participant, Willingness
from kring.followup import services
from kring.followup.models import ConsentChange, Respondent
from tests.factories import DUE, ready_for_follow_up, respondents_of


@pytest.mark.django_db
def test_consent_given_after_the_moment_opened_joins_it_once(world):
    made = ready_for_follow_up(world)
    services.open_due(DUE)
    assert "dirk" not in respondents_of(made)  # never asked about research

    dirk = Participant.objects.get(pk=made.people["dirk"].pk)
    assert services.set_consent(dirk, True, via=ConsentChange.Via.OWN_PAGE)
    joined = respondents_of(made)["dirk"]
    assert joined.category == "resident" and len(joined.code) == 8
    assert services.open_respondent(dirk) == joined

    # Withdrawing and giving it again does not make a second respondent.
    services.set_consent(dirk, False, via=ConsentChange.Via.OWN_PAGE)
    assert services.open_respondent(dirk) is None
    services.set_consent(dirk, True, via=ConsentChange.Via.OWN_PAGE)
    assert Respondent.objects.filter(participant=dirk).count() == 1
    assert ConsentChange.objects.filter(participant=dirk).count() == 3


@pytest.mark.django_db
def test_someone_who_said_no_to_taking_part_is_not_added(world):
    made = ready_for_follow_up(world)
    services.open_due(DUE)
    eva = Participant.objects.get(pk=made.people["eva"].pk)
    Participant.objects.filter(pk=eva.pk).update(willingness=Willingness.NO)
    eva.refresh_from_db()
    services.set_consent(eva, True, via=ConsentChange.Via.OWN_PAGE)
    assert not Respondent.objects.filter(participant=eva).exists()


@pytest.mark.django_db
def test_consent_before_the_moment_opens_adds_nobody_yet(world):
    made = ready_for_follow_up(world)
    dirk = Participant.objects.get(pk=made.people["dirk"].pk)
    services.set_consent(dirk, True, via=ConsentChange.Via.OWN_PAGE)
    assert not Respondent.objects.exists()
    services.open_due(DUE)
    assert "dirk" in respondents_of(made)


# --- A "no" is final, across moments ------------------------------------------------------


@pytest.mark.django_db
def test_declining_ends_consent_and_no_later_moment_asks_again(world):
    from kring.followup.models import FollowUp

    made = ready_for_follow_up(world)
    services.open_due(DUE)
    bram = respondents_of(made)["bram"]
    services.decline(bram)

    person = Participant.objects.get(pk=made.people["bram"].pk)
    assert person.research_consent is False
    assert ConsentChange.objects.filter(participant=person).last().given is False  # type: ignore[union-attr]
    later = FollowUp.objects.create(case=made.case, months=6, due_on=DUE)
    services.open_due(DUE)
    assert not later.respondents.filter(participant=person).exists()
    assert later.respondents.filter(participant=made.people["anna"]).exists()


@pytest.mark.django_db
def test_withdrawing_consent_stops_the_wait_and_giving_it_again_reopens(world):
    made = ready_for_follow_up(world)
    services.open_due(DUE)
    anna = Participant.objects.get(pk=made.people["anna"].pk)
    services.set_consent(anna, False, via=ConsentChange.Via.OWN_PAGE)
    assert respondents_of(made)["anna"].declined
    assert services.open_respondent(anna) is None
    services.set_consent(anna, True, via=ConsentChange.Via.OWN_PAGE)
    assert services.open_respondent(anna) == respondents_of(made)["anna"]
    assert not respondents_of(made)["anna"].declined


@pytest.mark.django_db
def test_nobody_enters_answers_or_calls_for_someone_who_withdrew(world):
    from kring.cases.lifecycle import CaseError

    made = ready_for_follow_up(world)
    services.open_due(DUE)
    anna = respondents_of(made)["anna"]
    services.set_consent(made.people["anna"], False, via=ConsentChange.Via.OWN_PAGE)
    answers = services.Answers(
        outcomes={}, better=4, satisfaction=8, recommend=True, new_conference="no", remark=""
    )
    with pytest.raises(CaseError):
        services.save_answers(anna, answers, via=Respondent.Via.RESEARCHER, user=world.researcher)
    with pytest.raises(CaseError):
        services.record_call(anna, "reached", user=world.researcher)
    anna.refresh_from_db()
    assert not anna.answered and not anna.attempts.filter(kind="call").exists()


@pytest.mark.django_db
def test_no_letter_is_printed_for_someone_who_said_no_to_taking_part(world):
    from kring.followup.access import letters_for

    made = ready_for_follow_up(world)
    services.open_due(DUE)
    assert [r.participant for r in letters_for(made.case)] == [made.people["carla"]]
    Participant.objects.filter(pk=made.people["carla"].pk).update(willingness=Willingness.NO)
    assert list(letters_for(made.case)) == []


# --- The sweep goes on when one moment fails ----------------------------------------------


@pytest.mark.django_db
def test_one_failing_moment_does_not_hold_up_the_others(world):
    from unittest import mock

    from kring.followup.models import FollowUp
    from tests.factories import case_in_status

    made = ready_for_follow_up(world)
    other = ready_for_follow_up(world, case_in_status("preparation", region=world.west))
    real_open = services._open
    broken = made.case.follow_ups.get()

    def open_or_fail(follow_up):
        if follow_up.pk == broken.pk:
            raise RuntimeError("a template error")
        real_open(follow_up)

    with mock.patch.object(services, "_open", open_or_fail):
        assert services.open_due(DUE) == 1
    broken.refresh_from_db()
    assert broken.state == FollowUp.State.PLANNED  # rolled back: the next round tries again
    assert other.case.follow_ups.get().state == FollowUp.State.OPEN
    assert not Respondent.objects.filter(follow_up=broken).exists()
    assert services.open_due(DUE) == 1  # and it opens once the fault is gone
