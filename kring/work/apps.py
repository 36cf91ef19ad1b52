from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    """What is due for staff across every phase: the start page and the daily digest. It sits
    above the phases and reads them all; no phase imports it."""

    name = "kring.work"
    verbose_name = _("Work")

    def ready(self) -> None:
        from kring.work import jobs  # noqa: F401 - registers its periodic jobs
