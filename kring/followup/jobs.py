"""Follow-up's periodic work (registered by FollowupConfig.ready())."""

from kring.core.periodic import register
from kring.followup import services

# Open the moments that fell due, and remind those who have not answered.
register("followup.moments", services.sweep, order=10)
