from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kring.accounts.models import Role
from kring.audit import log as audit
from kring.core.auth import roles_required
from kring.core.logfilters import redact
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage


@roles_required(Role.ADMINISTRATOR)
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Every stored message; in the demo this is the mailbox inside Kring."""
    status = request.GET.get("status", "")
    messages_ = OutboxMessage.objects.select_related("case").order_by("-created_at", "-pk")
    if status in OutboxMessage.Status.values:
        messages_ = messages_.filter(status=status)
    else:
        status = ""
    page = Paginator(messages_, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/outbox_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxMessage.Status.choices,
            "query": f"status={status}" if status else "",
        },
    )


@roles_required(Role.ADMINISTRATOR)
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage.objects.select_related("case"), pk=pk)
    audit.record(
        request,
        action="view",
        object_type="message",
        object_id=message.pk,
        case_reference=message.case.reference if message.case else "",
        people=[audit.Person("recipient", message.pk)],
    )
    # Outside the demo mailbox, nobody reads a participant's personal link here: a message
    # not yet delivered still holds it (a delivered one has it removed already).
    body = message.body_text if settings.KRING_DEMO_MAILBOX else redact(message.body_text)
    return render(
        request,
        "messaging/outbox_message.html",
        {"message": message, "body": body, "attachments": list(message.attachments.all())},
    )


@require_POST
@roles_required(Role.ADMINISTRATOR)
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, pk=pk)
    with transaction.atomic():
        retried = outbox.retry_now(message)
    if retried:
        messages.success(request, _("The message will be sent again."))
    else:
        messages.error(request, _("Only a failed message can be sent again."))
    return redirect("outbox_message", pk=pk)
