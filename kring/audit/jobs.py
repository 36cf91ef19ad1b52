"""The access log's periodic work (registered by AuditConfig.ready()); retention's is in
kring/privacy/jobs.py."""

import datetime as dt

from kring.audit import log
from kring.core.periodic import register

# The access log's head to the log stream, once an hour.
register("audit.log_head", lambda worker: log.export_head_hourly(), every=dt.timedelta(seconds=30))
