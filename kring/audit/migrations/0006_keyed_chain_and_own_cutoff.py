"""The access log hardened (issue 17, point 3).

- On PostgreSQL the trigger decides the retention cut-off itself, from the period it was
  written with (``kring.audit.log.install_prune_guard``, again after every migrate), against the
  database's clock: ``set_config('kring.prune_before', …)`` no longer lets anyone delete
  anything, and only rows past the period can go.
- The chain becomes an HMAC keyed with KRING_AUDIT_KEY (outside the database). The rows so far
  are checked against their unkeyed chain first and then sealed again with the key; a chain
  that is already broken stops the migration (run ``verify_audit_log`` on the previous
  version and investigate: sealing it again would hide the damage).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations


def _payload(prev, row):
    return json.dumps(
        [
            prev,
            row.at.isoformat(),
            row.user_id,
            row.role,
            row.action,
            row.object_type,
            row.object_id,
            row.case_reference,
            row.person_type,
            row.person_id,
            row.outcome,
            row.ip,
            row.request_id,
        ],
        separators=(",", ":"),
    ).encode()


def forwards(apps, schema_editor):
    from kring.audit.log import install_prune_guard

    install_prune_guard(schema_editor)
    AccessLog = apps.get_model("audit", "AccessLog")
    ChainHead = apps.get_model("audit", "ChainHead")
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        return
    key = settings.KRING_AUDIT_KEY.encode()
    old_prev = head.anchor
    new_prev = head.anchor  # the anchor of a pruned chain stays: rows before it are gone
    table = AccessLog._meta.db_table
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER kring_access_log_append_only")
        for row in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
            if row.prev_hash != old_prev or hashlib.sha256(_payload(old_prev, row)).hexdigest() != (
                row.hash
            ):
                raise RuntimeError(
                    f"The access log's chain is broken at row {row.pk}: not sealed again with "
                    "KRING_AUDIT_KEY. Investigate with verify_audit_log on the previous version."
                )
            old_prev = row.hash
            sealed = hmac.new(key, _payload(new_prev, row), hashlib.sha256).hexdigest()
            cursor.execute(
                f"UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                [new_prev, sealed, row.pk],
            )
            new_prev = sealed
        if old_prev != head.hash:
            raise RuntimeError("The access log's last rows were removed: not sealed again.")
        ChainHead.objects.filter(pk=1).update(hash=new_prev)
        if postgres:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER kring_access_log_append_only")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_prune_trigger")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
