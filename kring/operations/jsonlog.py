"""JSON lines on stdout, one object per log record, with the request ID of the request being
served. The redaction of tokens and keys (kring.core.logfilters) applies to every field."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

from kring.core.logfilters import redact

# Set by RequestMetricsMiddleware for the duration of a request (per thread).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("kring_request_id", default="")

# Attributes every LogRecord has; anything else was passed as `extra` and is kept.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        current = request_id.get()
        if current:
            entry["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)
