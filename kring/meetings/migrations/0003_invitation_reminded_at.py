from django.db import migrations, models


def record_reminders_already_sent(apps, schema_editor):
    """Whoever got a reminder before this fact existed has had theirs: mark it on their first
    invitation, so that the sweep does not remind them a second time."""
    Invitation = apps.get_model("meetings", "Invitation")
    reminders = Invitation.objects.filter(kind="reminder").order_by("created_at")
    for reminder in reminders.iterator():
        first = (
            Invitation.objects.filter(
                meeting_id=reminder.meeting_id,
                participant_id=reminder.participant_id,
                kind="invitation",
                reminded_at__isnull=True,
            )
            .order_by("created_at", "pk")
            .first()
        )
        if first is not None:
            Invitation.objects.filter(pk=first.pk).update(reminded_at=reminder.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_meeting_professionals_leave_attendance"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="reminded_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="reminded"
            ),
        ),
        migrations.RunPython(record_reminders_already_sent, migrations.RunPython.noop),
    ]
