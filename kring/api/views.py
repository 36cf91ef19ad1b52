"""The administrators' page for API clients: register one (its secret is shown once, on the
answer to the POST, and never again), see each client's scopes and last use, revoke one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Organisation, Region, Role
from kring.api import services
from kring.api.models import ApiClient, Scope

TEMPLATE = "api/clients.html"


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Name of the client"), max_length=120)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("choose an organisation"),
        help_text=_("For the financier scope: the financier whose figures the client sees."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.order_by("name"),
        required=False,
        empty_label=_("all regions"),
        help_text=_("Limits the research dataset and the financier's figures to one region."),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_expires_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day < today:
            raise ValidationError(_("Choose a day from today on."))
        if day > today + dt.timedelta(days=2 * 366):
            raise ValidationError(_("A client is valid for at most two years."))
        return day


def _page(request: HttpRequest, form: ClientForm, status: int = 200, **extra: Any) -> HttpResponse:
    clients = ApiClient.objects.select_related("organisation", "region", "created_by")
    return render(request, TEMPLATE, {"form": form, "clients": clients, **extra}, status=status)


@never_cache
@roles_required(Role.ADMINISTRATOR)
def clients(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if request.method != "POST":
        return _page(request, ClientForm())
    form = ClientForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    client, secret = services.register_client(
        name=data["name"],
        organisation=data["organisation"],
        scopes=list(data["scopes"]),
        region=data["region"],
        expires_on=data["expires_on"],
        user=user,
    )
    # Shown on this answer only: nothing else ever holds it.
    return _page(request, ClientForm(), new_client=client, secret=secret)


@require_POST
@roles_required(Role.ADMINISTRATOR)
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    client = ApiClient.objects.filter(pk=pk).first()
    if client is None:
        raise Http404
    if services.revoke_client(client):
        messages.success(request, gettext("Client %(name)s is revoked.") % {"name": client.name})
    return redirect("api_clients")
