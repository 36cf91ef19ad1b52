"""Retention's periodic work (registered by PrivacyConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.privacy import retention

# Once a day across all workers (a claim in the cache); the interval spares the reads. A backlog
# is anonymised a few seconds per round, so the mail sent in the same rounds is not held up.
ROUND_SECONDS = 5.0

register(
    "privacy.retention",
    lambda worker: retention.run_daily(seconds=ROUND_SECONDS),
    every=dt.timedelta(seconds=30),
)
