"""The chain sealed by the worker (issue 18, point 3): a request only inserts its row; the
worker gives it its ``position`` in the chain and its hashes. The rows so far were chained in
id order, so their position is their id. On PostgreSQL the trigger is rewritten to let that one
change through (``kring.audit.log.install_prune_guard``)."""

from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    from kring.audit.log import install_prune_guard

    table = apps.get_model("audit", "AccessLog")._meta.db_table
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER kring_access_log_append_only")
        cursor.execute(f"UPDATE {table} SET position = id")  # noqa: S608
        if postgres:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER kring_access_log_append_only")
    install_prune_guard(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_keyed_chain_and_own_cutoff'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='accesslog',
            name='position',
            field=models.PositiveBigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='accesslog',
            name='hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='accesslog',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddIndex(
            model_name='accesslog',
            index=models.Index(condition=models.Q(('position__isnull', True)), fields=['id'], name='audit_accesslog_unsealed'),
        ),
        migrations.AddConstraint(
            model_name='accesslog',
            constraint=models.UniqueConstraint(condition=models.Q(('hash', ''), _negated=True), fields=('hash',), name='audit_accesslog_hash_sealed'),
        ),
    ]
