"""The access log's and retention's periodic work (registered by AuditConfig.ready())."""

import datetime as dt

from kring.audit import log, retention
from kring.core.periodic import register

# Once a day across all workers (a claim in the cache); the interval spares the reads.
register("audit.retention", lambda worker: retention.run_daily(), every=dt.timedelta(seconds=30))
# The access log's head to the log stream, once an hour.
register("audit.log_head", lambda worker: log.export_head_hourly(), every=dt.timedelta(seconds=30))
# Seal the rows requests inserted into the chain, every round, before the head is exported.
register("audit.seal", lambda worker: log.seal(), order=40)
