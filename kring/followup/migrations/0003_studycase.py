# The study IDs come from the research app (see research/0005): only Django's state changes;
# the table research_studycase and its rows stay as they are.

import django.db.models.deletion
from django.db import migrations, models

import kring.followup.models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_requester_language_six"),
        ("followup", "0002_schedule_existing"),
        ("research", "0005_studycase_to_followup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StudyCase",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "study_id",
                            models.CharField(
                                default=kring.followup.models.new_study_id,
                                max_length=12,
                                unique=True,
                                verbose_name="study ID",
                            ),
                        ),
                        (
                            "case",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="study",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "study ID",
                        "verbose_name_plural": "study IDs",
                        "db_table": "research_studycase",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
