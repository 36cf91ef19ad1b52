"""A researcher never receives a seeded name, email address, phone number or street address, on any
page of Kring: every URL of the permission matrix, the follow-up workspace and the dataset
download included (tests/research/test_dataset_export.py searches both datasets in both formats)."""

import pytest

from kring.cases.models import Case
from kring.circle.models import Participant
from kring.demo import stories
from tests.site.test_permission_matrix import EXPECTATIONS, _url, body_of


@pytest.mark.django_db
def test_a_researcher_sees_no_personal_data_anywhere(world, client):
    stories.load_demo()
    secrets: set[str] = set()
    for case in Case.objects.all():
        secrets |= {case.requester_name, case.requester_email, case.requester_phone, case.address}
    for person in Participant.objects.all():
        secrets |= {person.name, person.email, person.phone, *person.postal_address.splitlines()}
    secrets = {s for s in secrets if s and len(s) > 3}
    assert len(secrets) > 200
    client.force_login(world.researcher)
    seen = 0
    for name, expected in EXPECTATIONS.items():
        response = getattr(client, expected["method"])(_url(name, world))
        body = body_of(response).decode("utf-8", "replace")
        leaked = [s for s in secrets if s in body]
        assert leaked == [], (name, leaked[:5])
        seen += 1
    for path in ("/", "/werk/", "/zaken/", "/beheer/berichten/", "/admin/"):
        body = client.get(path, follow=True).content.decode("utf-8", "replace")
        assert [s for s in secrets if s in body] == [], path
    assert seen == len(EXPECTATIONS)
