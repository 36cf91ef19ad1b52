"""The access log's periodic work (registered by AuditConfig.ready()); retention's is in
kring/privacy/jobs.py."""

import datetime as dt

from kring.audit import log
from kring.core.periodic import register

# The access log's head to the log stream, once an hour.
register("audit.log_head", lambda worker: log.export_head_hourly(), every=dt.timedelta(seconds=30))
# Seal the rows requests inserted into the chain, every round, before the head is exported.
register("audit.seal", lambda worker: log.seal(), order=40)
