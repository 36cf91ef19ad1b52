"""Django's SMTP backend, with the moment the server gets a message whole made visible.

An SMTP server takes a message when it reads the end-of-data mark (the line with one dot) and
says so with a 250; before the mark, a connection that drops leaves it nothing (RFC 5321,
4.1.1.4 and 6.1). A worker killed between that mark and writing the outcome down cannot know
whether the server has the message, and sending it again may deliver it twice (RFC 1047). So
the mark is sent inside ``handing_over()``, which the outbox sets per message: it writes the
hand-over in a transaction opened — row written and locked — before the mark and committed
right after it. The only moment in which a kill still leaves a message sent but not written
down is then the step from one socket write to the next, not the server's whole answer.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.core.mail.backends.smtp import EmailBackend


class ClaimLost(smtplib.SMTPException):
    """The message is no longer this worker's (its lease ran out): the end-of-data mark is not
    sent, so the server drops what it got and the worker now holding it sends it once."""


def _dot_stuffed(message: Any) -> bytes:
    """The data as it goes over the wire: a leading dot doubled, lines ending in CRLF."""
    if isinstance(message, str):
        data = smtplib.quotedata(message).encode("ascii")
    else:
        data = re.sub(rb"(?m)^\.", b"..", bytes(message))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class _HandOver:
    handing_over: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        """smtplib's ``connect``, with Nagle's algorithm off: the three-byte end-of-data mark
        follows the data in a write of its own, and with Nagle on it would wait for the
        server's acknowledgement of the data — which a server delays up to 40 ms — on every
        message (measured: 21 messages/s instead of hundreds)."""
        reply = super().connect(host, port, source_address)  # type: ignore[misc]
        sock: Any = getattr(self, "sock", None)
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reply

    def data(self, msg: Any) -> tuple[int, bytes]:
        """smtplib's ``data``, with the end-of-data mark sent on its own, inside
        ``handing_over()`` (the data before it may be large; the mark is three bytes)."""
        connection: Any = self
        connection.putcmd("data")
        code, reply = connection.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        connection.send(_dot_stuffed(msg))
        try:
            with self.handing_over():
                connection.send(b".\r\n")
        except ClaimLost:
            connection.close()  # without the mark the server keeps nothing of this message
            raise
        code, reply = connection.getreply()
        return code, reply


class HandOverSMTP(_HandOver, smtplib.SMTP):
    pass


class HandOverSMTPSSL(_HandOver, smtplib.SMTP_SSL):
    pass


class HandOverBackend(EmailBackend):
    """The SMTP backend the worker sends with (``EMAIL_USE_SSL``, TLS and sign-in as Django's)."""

    connection: HandOverSMTP | HandOverSMTPSSL | None

    @property
    def connection_class(self) -> type[HandOverSMTP | HandOverSMTPSSL]:
        return HandOverSMTPSSL if self.use_ssl else HandOverSMTP
