from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The participant's own page, which brings every phase's part together. It sits above the
    phases; no phase imports it."""

    name = "kring.portal"
    verbose_name = _("Own page")
