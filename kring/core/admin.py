"""The admin in Kring's words: the third-party models it lists get translated names."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import pgettext_lazy

# (app label, model class name): the name in the admin index, for models named in English.
MODEL_NAMES = {
    ("mfa", "Authenticator"): pgettext_lazy("admin model", "Second factors"),
    ("django_tasks_database", "DBTaskResult"): pgettext_lazy("admin model", "Background tasks"),
}

_get_app_list = admin.site.get_app_list


def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
    apps = _get_app_list(request, app_label)
    for app in apps:
        for model in app["models"]:
            name = MODEL_NAMES.get((app["app_label"], model["object_name"]))
            if name is not None:
                model["name"] = name
    return apps


admin.site.get_app_list = get_app_list  # type: ignore[method-assign]
