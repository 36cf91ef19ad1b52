from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kring.accounts import services
from kring.accounts.auth import roles_required, staff_user
from kring.accounts.forms import CoordinatorProfileForm, DigestForm
from kring.accounts.models import CoordinatorProfile, Region, Role
from kring.core import contact


@login_required
def coordinator_profile(request: HttpRequest) -> HttpResponse:
    """A coordinator's own profile: phone for participants, languages, availability."""
    user = staff_user(request)
    profile = CoordinatorProfile.objects.filter(user=user).select_related("user").first()
    if not user.is_coordinator or profile is None:
        raise Http404
    if request.method != "POST":
        form = CoordinatorProfileForm(initial=CoordinatorProfileForm.initial_for(profile))
        return render(request, "accounts/profile.html", {"form": form, "profile": profile})
    form = CoordinatorProfileForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.save_coordinator_profile(
                profile, form.cleaned_data, version=form.cleaned_data["version"]
            )
        except services.ProfileConflict as conflict:
            error = str(conflict.message)
            profile.refresh_from_db()
            profile.user.refresh_from_db()
            form = CoordinatorProfileForm(initial=CoordinatorProfileForm.initial_for(profile))
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("coordinator_profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": profile, "error": error},
        status=409 if error else 400,
    )


@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR, Role.RESEARCHER, Role.ADMINISTRATOR)
def digest_setting(request: HttpRequest) -> HttpResponse:
    """Every staff member's own choice: the daily email of what fell due, or not."""
    user = staff_user(request)
    if request.method != "POST":
        form = DigestForm(initial={"daily_digest": user.daily_digest})
        return render(request, "accounts/digest.html", {"form": form})
    form = DigestForm(request.POST)
    if not form.is_valid():  # a checkbox: only a forged post gets here
        return render(request, "accounts/digest.html", {"form": form}, status=400)
    wanted = form.cleaned_data["daily_digest"]
    services.set_daily_digest(user, wanted)
    messages.success(
        request,
        _("You receive the daily email of what fell due.")
        if wanted
        else _("You no longer receive the daily email."),
    )
    return redirect("digest_setting")


def contact_page(request: HttpRequest) -> HttpResponse:
    """Whom to reach: the organisation and every region's office."""
    regions = Region.objects.order_by("name")
    return render(
        request,
        "core/contact.html",
        {"organisation": contact.organisation(), "offices": [contact.office(r) for r in regions]},
    )
