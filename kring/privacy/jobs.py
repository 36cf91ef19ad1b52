"""Retention's periodic work (registered by PrivacyConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.privacy import retention

# Once a day across all workers (a claim in the cache); the interval spares the reads. A backlog
# is anonymised a second per round, so the mail sent by the same worker waits no longer than
# that: with five seconds, one worker on SQLite sent 67 messages/s instead of 400 while it
# worked off the first day's backlog (2,676 cases at 100,000: about half an hour this way).
ROUND_SECONDS = 1.0

register(
    "privacy.retention",
    lambda worker: retention.run_daily(seconds=ROUND_SECONDS),
    every=dt.timedelta(seconds=30),
)
