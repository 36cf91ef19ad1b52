"""Cases that had their plan distributed before follow-ups existed get their moments too.

A moment whose answer period has already passed is recorded as cancelled: nobody gave
research consent before the question could be asked, so there is nobody to ask."""

import datetime as dt

from calendar import monthrange

from django.conf import settings
from django.db import migrations
from django.utils import timezone

AFTER_PLAN = ("plan_distributed", "aftercare", "follow_up")


def _add_months(day, months):
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def schedule_existing(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Meeting = apps.get_model("meetings", "Meeting")
    FollowUp = apps.get_model("followup", "FollowUp")
    starts = dict(
        Meeting.objects.filter(
            case__status__in=AFTER_PLAN, starts_at__isnull=False, cancelled_at__isnull=True
        ).values_list("case_id", "starts_at")
    )
    now = timezone.now()
    too_late = timezone.localdate() - dt.timedelta(days=settings.KRING_FOLLOW_UP_ANSWER_DAYS)
    rows = []
    for case in Case.objects.filter(status__in=AFTER_PLAN, follow_ups__isnull=True).only(
        "pk", "variant", "status_changed_at"
    ):
        start = starts.get(case.pk) or case.status_changed_at
        day = timezone.localdate(start)
        for months in settings.KRING_FOLLOW_UP_MONTHS.get(case.variant, (3,)):
            due = _add_months(day, months)
            late = due < too_late
            rows.append(
                FollowUp(
                    case_id=case.pk,
                    months=months,
                    due_on=due,
                    state="cancelled" if late else "planned",
                    closed_at=now if late else None,
                )
            )
    FollowUp.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_initial"),
        ("meetings", "0002_meeting_professionals_leave_attendance"),
    ]

    operations = [migrations.RunPython(schedule_existing, migrations.RunPython.noop)]
