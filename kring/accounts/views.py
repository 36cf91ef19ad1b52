from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kring.accounts import services
from kring.accounts.forms import CoordinatorProfileForm
from kring.accounts.models import CoordinatorProfile
from kring.core.auth import staff_user


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
