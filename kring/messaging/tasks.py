from django_tasks import task

from kring.messaging import outbox


@task()
def deliver_message(message_id: int) -> None:
    """Wake-up after a transaction stored messages: send every due message (``message_id`` is
    the first of them), batch by batch; the outbox sweep retries whatever this leaves queued."""
    outbox.send_due()
