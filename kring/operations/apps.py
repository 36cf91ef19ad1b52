from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "kring.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from kring.operations import jobs  # noqa: F401 - registers its periodic jobs
