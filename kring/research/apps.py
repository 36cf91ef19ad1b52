from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "kring.research"
    verbose_name = _("Research")

    def ready(self) -> None:
        # The periodic jobs, the marks of changed figures and the SQLite functions.
        from kring.research import jobs, signals, sqlite_days  # noqa: F401

        signals.connect()
