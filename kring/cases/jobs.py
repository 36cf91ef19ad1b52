"""The cases' periodic work (registered by CasesConfig.ready())."""

from kring.cases import tally
from kring.core.periodic import register

# The status counts' changes folded into one row per area and status, every round.
register("cases.tally", lambda worker: tally.compact(), order=95)
