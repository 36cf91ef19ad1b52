"""Plain smtplib, the floor the workers' messages per second are measured against
(``manage.py bench_serve``): a new connection and one message at a time, as the first
benchmark of issue 18 sent them.

Run as ``python -m kring.bench.plain_smtp PORT FIRST COUNT`` it is a sender in a process of its
own, as each worker is: it says ``ready``, waits for a line on its input, sends and ends. Two
senders as threads of one process took turns at Python's one lock (and at the benchmark's SMTP
server, a thread of that process too): on two cores they sent 0.86-0.95× what one did, where
two processes sent 1.14-1.56×. Nothing of Django is loaded here."""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage


def send(port: int, first: int, count: int) -> None:
    for number in range(first, first + count):
        message = EmailMessage()
        message["From"] = "kring@localhost"
        message["To"] = f"bench{number}@example.org"
        message["Subject"] = "Benchmark"
        message.set_content("Benchmark")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)


def main() -> None:
    port, first, count = (int(value) for value in sys.argv[1:4])
    print("ready", flush=True)
    sys.stdin.readline()
    send(port, first, count)


if __name__ == "__main__":
    main()
