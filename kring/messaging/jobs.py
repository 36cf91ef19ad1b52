"""The outbox's periodic work (registered by MessagingConfig.ready())."""

from kring.core.periodic import register
from kring.messaging import outbox

# Release dead workers' claims and send every due message: after the follow-up's invitations
# (sent in the same round), before the reminders and digests (sent in the next).
register("messaging.outbox", lambda worker: outbox.sweep(), order=20)
