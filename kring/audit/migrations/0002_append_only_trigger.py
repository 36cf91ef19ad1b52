"""On PostgreSQL the database itself refuses to change or delete access-log rows. (SQLite has
no such guard here; the model refuses instead, and the hash chain shows any tampering.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kring_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER kring_access_log_append_only
    BEFORE UPDATE OR DELETE ON audit_accesslog
    FOR EACH ROW EXECUTE FUNCTION kring_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS kring_access_log_append_only ON audit_accesslog;
DROP FUNCTION IF EXISTS kring_access_log_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
