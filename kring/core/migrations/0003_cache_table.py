"""The database cache table (rate limits of sign-in, used one-time codes), made by migrate so
that no separate step is needed."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_ratelimithit")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
