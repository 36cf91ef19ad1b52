import datetime as dt

from django.db import migrations, models

FIRST, LAST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def fill(apps, schema_editor):
    """Every day from 2000 to 2100 with its running count of working days."""
    from kring.cases.norms import is_working_day

    WorkingDayCount = apps.get_model("research", "WorkingDayCount")
    rows, count, day = [], 0, FIRST
    while day <= LAST:
        count += is_working_day(day)
        rows.append(WorkingDayCount(day=day, working=count))
        day += dt.timedelta(days=1)
    WorkingDayCount.objects.using(schema_editor.connection.alias).bulk_create(
        rows, batch_size=5000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("research", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkingDayCount",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False, verbose_name="calendar day")),
                ("working", models.IntegerField(verbose_name="working days up to this day")),
            ],
            options={
                "verbose_name": "working-day count",
                "verbose_name_plural": "working-day counts",
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
