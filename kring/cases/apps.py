from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "kring.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from kring.cases import jobs, personal_data  # noqa: F401 - register their parts
