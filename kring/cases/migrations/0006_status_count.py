"""The cases per area and status as changes to add up (kring.cases.tally), kept by triggers on
cases_case on both databases, and filled from the cases already there."""

from django.db import migrations, models

# area: the region's id, 0 for the national inbox.
POSTGRESQL_FORWARDS = [
    """
    CREATE FUNCTION cases_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO cases_statuscount (area, status, n)
        VALUES (COALESCE(OLD.region_id, 0), OLD.status, -1);
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO cases_statuscount (area, status, n)
        VALUES (COALESCE(NEW.region_id, 0), NEW.status, 1);
      END IF;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER cases_status_count_insert AFTER INSERT ON cases_case"
    " FOR EACH ROW EXECUTE FUNCTION cases_status_count()",
    "CREATE TRIGGER cases_status_count_delete AFTER DELETE ON cases_case"
    " FOR EACH ROW EXECUTE FUNCTION cases_status_count()",
    "CREATE TRIGGER cases_status_count_update AFTER UPDATE OF status, region_id ON cases_case"
    " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
    " OR OLD.region_id IS DISTINCT FROM NEW.region_id)"
    " EXECUTE FUNCTION cases_status_count()",
    # Also in replica mode, where the bulk seed skips the foreign-key checks.
    "ALTER TABLE cases_case ENABLE ALWAYS TRIGGER cases_status_count_insert",
    "ALTER TABLE cases_case ENABLE ALWAYS TRIGGER cases_status_count_delete",
    "ALTER TABLE cases_case ENABLE ALWAYS TRIGGER cases_status_count_update",
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS cases_status_count_insert ON cases_case",
    "DROP TRIGGER IF EXISTS cases_status_count_delete ON cases_case",
    "DROP TRIGGER IF EXISTS cases_status_count_update ON cases_case",
    "DROP FUNCTION IF EXISTS cases_status_count()",
]
SQLITE_FORWARDS = [
    "CREATE TRIGGER cases_status_count_insert AFTER INSERT ON cases_case BEGIN"
    " INSERT INTO cases_statuscount (area, status, n)"
    " VALUES (COALESCE(new.region_id, 0), new.status, 1); END",
    # The last case gone (a test database flushed table by table): no case, no count.
    "CREATE TRIGGER cases_status_count_delete AFTER DELETE ON cases_case BEGIN"
    " INSERT INTO cases_statuscount (area, status, n)"
    " VALUES (COALESCE(old.region_id, 0), old.status, -1);"
    " DELETE FROM cases_statuscount WHERE NOT EXISTS (SELECT 1 FROM cases_case); END",
    "CREATE TRIGGER cases_status_count_update AFTER UPDATE OF status, region_id ON cases_case"
    " WHEN old.status IS NOT new.status OR old.region_id IS NOT new.region_id BEGIN"
    " INSERT INTO cases_statuscount (area, status, n)"
    " VALUES (COALESCE(old.region_id, 0), old.status, -1),"
    " (COALESCE(new.region_id, 0), new.status, 1); END",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS cases_status_count_insert",
    "DROP TRIGGER IF EXISTS cases_status_count_delete",
    "DROP TRIGGER IF EXISTS cases_status_count_update",
]
FILL = (
    "INSERT INTO cases_statuscount (area, status, n)"
    " SELECT COALESCE(region_id, 0), status, COUNT(*) FROM cases_case"
    " GROUP BY COALESCE(region_id, 0), status"
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_FORWARDS, "sqlite": SQLITE_FORWARDS}[vendor]
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_BACKWARDS, "sqlite": SQLITE_BACKWARDS}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_requester_language_six"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("area", models.BigIntegerField(verbose_name="area")),
                ("status", models.CharField(max_length=24, verbose_name="status")),
                ("n", models.IntegerField(verbose_name="change in the number of cases")),
            ],
            options={
                "verbose_name": "case count",
                "verbose_name_plural": "case counts",
                "indexes": [models.Index(fields=["area", "status"], name="status_count_area")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
