from django_tasks import task

from kring.messaging import outbox


@task()
def deliver_message(message_id: int) -> None:
    """Send one stored message; the outbox sweep retries whatever this leaves queued."""
    outbox.deliver(message_id)
