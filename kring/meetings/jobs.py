"""The meetings' periodic work (registered by MeetingsConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.meetings import invitations

# One reminder per person per meeting, inside the reminder window (days before the meeting):
# looked for once a minute, not in every round of the worker.
register(
    "meetings.reminders",
    lambda worker: invitations.send_reminders(),
    every=dt.timedelta(minutes=1),
)
