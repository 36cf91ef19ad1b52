"""Research's periodic work (registered by ResearchConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.research import export_files, summary

# The dashboard's summary follows the cases changed since the last round.
register("research.figures", lambda worker: summary.refresh(), order=90)
# Export files: builds whose worker stopped go back in the queue; files past their retention
# (KRING_EXPORT_RETAIN_HOURS) are deleted.
register(
    "research.export_files", lambda worker: export_files.sweep(), every=dt.timedelta(seconds=60)
)
