"""Research's periodic work (registered by ResearchConfig.ready())."""

from kring.core.periodic import register
from kring.research import summary

# The dashboard's summary follows the cases changed since the last round.
register("research.figures", lambda worker: summary.refresh(), order=90)
