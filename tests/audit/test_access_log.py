"""The access log: one row per person shown, sign-ins and refusals, append-only, chained, and
checked by verify_audit_log; no token in the application logs."""

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from kring.audit import log
from kring.audit.models import AccessLog, AppendOnly
from kring.circle import links
from kring.circle.models import Participant
from tests.factories import PASSWORD, totp_code


def people(world, count):
    return [
        Participant.objects.create(case=world.case, name=f"Persoon {i}", category="resident")
        for i in range(count)
    ]


@pytest.mark.django_db
def test_the_circle_page_writes_one_row_per_person_shown(world, client):
    shown = people(world, 4)
    client.force_login(world.coordinator)
    client.get(reverse("circle", args=[world.case.reference]), HTTP_X_FORWARDED_FOR="x")
    rows = AccessLog.objects.filter(object_type="circle")
    assert sorted(int(r.person_id) for r in rows) == sorted(p.pk for p in shown)
    row = rows[0]
    assert row.user == world.coordinator and row.role == "coordinator"
    assert row.action == "view" and row.case_reference == world.case.reference
    assert row.ip == "127.0.0.1" and len(row.request_id) == 32
    assert row.at.tzinfo is not None


@pytest.mark.django_db
def test_case_page_own_page_and_letter_are_logged(world, client):
    (participant,) = people(world, 1)
    client.force_login(world.manager)
    client.get(world.case.get_absolute_url())
    assert AccessLog.objects.filter(object_type="case", person_type="requester").count() == 1
    client.logout()
    client.get(reverse("portal", args=[links.issue(participant)]))
    own = AccessLog.objects.get(object_type="own_page")
    assert own.user is None and own.role == "participant"
    assert own.person_id == str(participant.pk)


@pytest.mark.django_db
def test_refusals_and_sign_ins_are_logged_without_what_was_typed(world, client):
    client.force_login(world.other_manager)
    assert client.get(world.case.get_absolute_url()).status_code == 404
    denied = AccessLog.objects.get(action="denied")
    assert denied.user == world.other_manager and denied.case_reference == world.case.reference
    client.logout()
    client.post(reverse("account_login"), {"login": world.manager.email, "password": "geheim-fout"})
    failed = AccessLog.objects.get(action="sign_in_failed")
    assert failed.user is None
    stored = " ".join(str(v) for v in AccessLog.objects.values_list().get(pk=failed.pk))
    assert world.manager.email not in stored and "geheim-fout" not in stored
    client.post(reverse("account_login"), {"login": world.manager.email, "password": PASSWORD})
    client.post("/account/2fa/authenticate/", {"code": totp_code(world.manager)})
    assert AccessLog.objects.filter(action="sign_in", user=world.manager).count() == 1


@pytest.mark.django_db
def test_who_viewed_this_case(world, client):
    client.force_login(world.coordinator)
    client.get(world.case.get_absolute_url())
    client.force_login(world.manager)
    page = client.get(
        reverse("case_access", args=[world.case.reference]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    assert world.coordinator.full_name in page.text
    client.force_login(world.coordinator)
    assert client.get(reverse("case_access", args=[world.case.reference])).status_code == 404


@pytest.mark.django_db
def test_the_log_is_append_only_through_the_model(world, client):
    client.force_login(world.manager)
    client.get(world.case.get_absolute_url())
    row = AccessLog.objects.order_by("pk")[0]
    row.outcome = "changed"
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        AccessLog.objects.filter(pk=row.pk).update(outcome="x")
    with pytest.raises(AppendOnly):
        AccessLog.objects.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_changes_on_postgresql_and_the_chain_shows_them_on_sqlite(
    world, client
):
    client.force_login(world.manager)
    client.get(world.case.get_absolute_url())
    from django.db import DatabaseError

    log.seal()
    if connection.vendor != "postgresql":
        # SQLite has no such guard: raw SQL gets through, and the chain gives it away.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_accesslog SET outcome = 'x'")
        with pytest.raises(CommandError):
            call_command("verify_audit_log", stdout=io.StringIO(), stderr=io.StringIO())
        return

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET outcome = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslog")


def _tamper(sql, params=()):
    """Change the log behind the model's back, as someone with full database rights could (on
    PostgreSQL: a superuser switching triggers off for the session)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["alter", "remove", "remove_last"])
def test_verify_audit_log_finds_an_altered_or_removed_row(world, client, damage):
    client.force_login(world.manager)
    people(world, 3)
    client.get(reverse("circle", args=[world.case.reference]))
    client.get(world.case.get_absolute_url())
    out = io.StringIO()
    call_command("verify_audit_log", "--seal", stdout=out)
    assert "intact" in out.getvalue()
    ids = list(AccessLog.objects.order_by("pk").values_list("pk", flat=True))
    if damage == "alter":
        _tamper("UPDATE audit_accesslog SET person_id = %s WHERE id = %s", ["999", ids[1]])
    elif damage == "remove":
        _tamper("DELETE FROM audit_accesslog WHERE id = %s", [ids[1]])
    else:
        _tamper("DELETE FROM audit_accesslog WHERE id = %s", [ids[-1]])
    with pytest.raises(CommandError, match="not intact"):
        call_command("verify_audit_log", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_tokens_never_reach_the_application_log(world, client):
    (participant,) = people(world, 1)
    token = links.issue(participant)
    stream = io.StringIO()
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.get_name() == "console"
    )
    old, handler.stream = handler.stream, stream
    try:
        client.get(reverse("portal", args=[token + "x"]))  # a 404: Django logs its path
        logging.getLogger("django.request").warning("Not Found: %s", f"/p/{token}/")
    finally:
        handler.stream = old
    assert "/p/[token]" in stream.getvalue()
    assert token not in stream.getvalue()


@pytest.mark.django_db
def test_entries_past_their_period_leave_the_chain_intact(world, client, settings):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from kring.audit.log import prune

    settings.KRING_RETAIN_LOG_DAYS = 365
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=400), tick=False):
        client.force_login(world.manager)
        people(world, 3)
        client.get(reverse("circle", args=[world.case.reference]))
        log.seal()
    old = AccessLog.objects.count()
    client.force_login(world.manager)
    client.get(world.case.get_absolute_url())
    log.seal()
    recent = AccessLog.objects.count() - old
    assert prune() == old
    assert AccessLog.objects.count() == recent
    call_command("verify_audit_log", stdout=io.StringIO())  # still intact
    assert prune() == 0  # nothing more to do
    # A recent row cannot be removed that way: the chain still gives it away.
    _tamper("DELETE FROM audit_accesslog")
    with pytest.raises(CommandError):
        call_command("verify_audit_log", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_a_page_that_names_the_whole_circle_logs_each_of_them(world, client):
    shown = people(world, 3)
    client.force_login(world.coordinator)
    client.get(reverse("participant_detail", args=[world.case.reference, shown[0].pk]))
    rows = AccessLog.objects.filter(object_type="participant")
    assert sorted(int(r.person_id) for r in rows) == sorted(p.pk for p in shown)
    assert {r.object_id for r in rows} == {str(shown[0].pk)}
