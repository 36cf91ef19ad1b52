import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kring.settings")
application = get_wsgi_application()

# gunicorn loads this module once and then forks (--preload): a database connection opened
# while loading must not be inherited, or the processes would share one socket, now that
# connections are kept between requests (CONN_MAX_AGE). Each process opens its own.
# (Imported inside a transaction, as a test that imports every module does, it leaves that
# transaction's connection alone.)
from django.db import connections  # noqa: E402

for _connection in connections.all(initialized_only=True):
    if not _connection.in_atomic_block:
        _connection.close()
