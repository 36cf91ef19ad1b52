"""The outbox's periodic work (registered by MessagingConfig.ready())."""

from kring.core.periodic import register
from kring.messaging import outbox

# Release dead workers' claims and send every due message.
register("messaging.outbox", lambda worker: outbox.sweep())
