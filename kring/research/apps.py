from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "kring.research"
    verbose_name = _("Research")

    def ready(self) -> None:
        from kring.research import (
            jobs,  # noqa: F401 - registers its periodic jobs
            sqlite_days,  # noqa: F401 - registers its SQLite function
        )
