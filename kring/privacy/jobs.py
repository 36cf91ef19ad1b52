"""Retention's periodic work (registered by PrivacyConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.privacy import retention

# Once a day across all workers (a claim in the cache); the interval spares the reads.
register("privacy.retention", lambda worker: retention.run_daily(), every=dt.timedelta(seconds=30))
