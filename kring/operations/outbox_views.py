"""The outbox (the demo mailbox): every stored message, searchable, with its HTML version and
attachments. Administrators see every message; a regional manager and a coordinator open the
messages sent to the participants of their cases, from the participant's page (see
``kring.cases.access``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from kring.accounts.auth import roles_required
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases.access import messages_for, sees_all_messages
from kring.core.logfilters import redact
from kring.messaging import outbox, purposes
from kring.messaging.models import OutboxAttachment, OutboxMessage

PAGE_SIZE = 25
MESSAGE_ROLES = (Role.ADMINISTRATOR, Role.REGIONAL_MANAGER, Role.COORDINATOR)
# The HTML version of an email is shown in a frame of its own: sandboxed (no scripts, no
# forms, no same-origin rights), nothing loaded from anywhere but the message itself.
HTML_POLICY = "; ".join(
    [
        "sandbox",
        "default-src 'none'",
        "img-src data:",
        "style-src 'unsafe-inline'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


class SearchForm(forms.Form):
    recipient = forms.CharField(
        label=gettext_lazy("Recipient"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("Part of an email address is enough."),
    )
    case = forms.CharField(label=gettext_lazy("Case reference"), required=False, max_length=20)
    purpose = forms.ChoiceField(label=gettext_lazy("Kind of message"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        everything = [("", _("all"))]
        self.fields["purpose"].choices = everything + purposes.choices()  # type: ignore[attr-defined]
        self.fields["status"].choices = everything + list(OutboxMessage.Status.choices)  # type: ignore[attr-defined]


def _body(text: str) -> str:
    # Outside the demo mailbox, nobody reads a participant's personal link here: a message
    # not yet delivered still holds it (a delivered one has it removed already).
    return text if settings.KRING_DEMO_MAILBOX else redact(text)


@require_GET
@roles_required(Role.ADMINISTRATOR)
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Every stored message, searchable; in the demo this is the mailbox inside Kring."""
    form = SearchForm(request.GET or None)
    found = OutboxMessage.objects.select_related("case").order_by("-created_at", "-pk")
    status = 200
    query = ""
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data
        if chosen["recipient"]:
            found = found.filter(to_addresses__icontains=chosen["recipient"].strip())
        if chosen["case"]:
            found = found.filter(case__reference__iexact=chosen["case"].strip())
        if chosen["purpose"]:
            found = found.filter(purpose=chosen["purpose"])
        if chosen["status"]:
            found = found.filter(status=chosen["status"])
        query = urlencode({name: value for name, value in chosen.items() if value})
    elif form.is_bound:
        found = found.none()
        status = 400
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        message.purpose_label = purposes.label(message.purpose)  # type: ignore[attr-defined]
    return render(
        request,
        "messaging/outbox_list.html",
        {"page": page, "form": form, "query": query, "searched": bool(query)},
        status=status,
    )


def _message(request: HttpRequest, pk: int) -> OutboxMessage:
    return get_object_or_404(
        messages_for(request.user).select_related("case", "participant"), pk=pk
    )


def _record(request: HttpRequest, message: OutboxMessage, action: str, what: str) -> None:
    audit.record(
        request,
        action=action,
        object_type=what,
        object_id=message.pk,
        case_reference=message.case.reference if message.case else "",
        people=[audit.Person("recipient", message.pk)],
    )


@require_GET
@roles_required(*MESSAGE_ROLES)
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    _record(request, message, "view", "message")
    return render(
        request,
        "messaging/outbox_message.html",
        {
            "message": message,
            "purpose": purposes.label(message.purpose),
            "body": _body(message.body_text),
            "attachments": list(message.attachments.only("pk", "filename", "content_type")),
            "sees_all": sees_all_messages(request.user),
        },
    )


@require_GET
@roles_required(*MESSAGE_ROLES)
@xframe_options_sameorigin
def outbox_message_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML version as the recipient's mail program shows it, in a sandboxed frame."""
    message = _message(request, pk)
    if not message.body_html:
        raise Http404
    _record(request, message, "view", "message")
    response = HttpResponse(_body(message.body_html), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@roles_required(*MESSAGE_ROLES)
def outbox_attachment(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    """One attachment (the .ics of an invitation, a plan as PDF) as it was sent."""
    message = _message(request, pk)
    stored = get_object_or_404(OutboxAttachment, message=message, pk=attachment)
    content = bytes(stored.content)
    if stored.content_type.startswith("text/") and not settings.KRING_DEMO_MAILBOX:
        unfolded = content.decode("utf-8", "replace").replace("\r\n ", "")
        content = redact(unfolded).encode()
    _record(request, message, "download", "attachment")
    response = HttpResponse(content, content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=stored.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


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
