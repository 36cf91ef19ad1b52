"""The start page's periodic work (registered by WorkConfig.ready())."""

import datetime as dt

from kring.core.periodic import register
from kring.work import due

# Once a day per staff member: the claimed date moves on.
register("work.digests", lambda worker: due.send_digests(), every=dt.timedelta(seconds=30))
