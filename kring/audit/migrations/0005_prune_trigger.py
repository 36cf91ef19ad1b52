"""Let the PostgreSQL trigger allow one thing: deleting rows older than the cut-off that the
pruning transaction declares (``kring.prune_before``). Everything else stays refused."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kring_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('kring.prune_before', true), '') <> ''
       AND OLD.at < current_setting('kring.prune_before', true)::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PREVIOUS = """
CREATE OR REPLACE FUNCTION kring_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chainhead_anchor")]

    operations = [migrations.RunPython(forwards, backwards)]
