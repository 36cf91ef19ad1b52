"""Follow-up's periodic work (registered by FollowupConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.followup import services

# Open the moments that fell due, and remind those who have not answered. Both go by the day:
# looked for once a minute, not in every round of the worker (60-75 ms a round at 100,000
# cases, in which the mail waited).
register("followup.moments", services.sweep, order=10, every=dt.timedelta(minutes=1))
