"""The meetings' periodic work (registered by MeetingsConfig.ready())."""

from kring.core.periodic import register
from kring.meetings import invitations

# One reminder per person per meeting, inside the reminder window.
register("meetings.reminders", lambda worker: invitations.send_reminders())
