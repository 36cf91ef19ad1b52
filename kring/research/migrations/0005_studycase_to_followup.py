# The study IDs move to the follow-up app (issue 15: followup no longer imports research). Only
# Django's state changes: the table keeps its name, research_studycase, and its rows.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("research", "0004_exportfile"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StudyCase")],
            database_operations=[],
        ),
    ]
