"""A respondent's remark is in their own words and may name people: a researcher who enters
answers after a call may add one, but never reads one back — and leaving the field empty keeps
the remark that was given."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kring.followup import services
from kring.followup.models import Respondent
from tests.factories import DUE, ready_for_follow_up, respondents_of

REMARK = "Met Jan van nummer 12 gaat het nu goed."


def answers(remark: str) -> services.Answers:
    return services.Answers(
        outcomes={}, better=4, satisfaction=7, recommend=True, new_conference="no", remark=remark
    )


@pytest.mark.django_db
def test_the_researcher_never_reads_the_remark_and_keeps_it_when_saving(world, client):
    made = ready_for_follow_up(world)
    services.open_due(DUE)
    anna = respondents_of(made)["anna"]
    services.save_answers(anna, answers(REMARK), via=Respondent.Via.OWN_PAGE)
    anna.refresh_from_db()

    client.force_login(world.researcher)
    url = reverse("follow_up_answer", args=[anna.follow_up_id, anna.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert REMARK not in page.text and "A remark was given earlier" in page.text

    data = {"version": anna.version, "better": "5", "satisfaction": "9", "recommend": "yes"}
    data |= {"new_conference": "no", "remark": ""}
    data |= {f"agreement-{a.pk}": "done" for a in services.agreements_of(made.case)}
    saved = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert saved.status_code in (200, 302), saved.status_code
    anna.refresh_from_db()
    assert (anna.satisfaction, anna.remark) == (9, REMARK)
