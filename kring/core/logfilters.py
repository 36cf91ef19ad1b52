"""Keep secrets out of the application logs: personal-link tokens and password-reset keys in
URLs (Django logs the path of every 404 and, under runserver, of every request)."""

from __future__ import annotations

import logging
import re

SECRET_PATHS = [
    (re.compile(r"/p/[A-Za-z0-9_\-]+"), "/p/[token]"),
    (re.compile(r"(/account/password/reset/key/)[^\s\"']+"), r"\1[key]"),
]


def redact(text: str) -> str:
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
