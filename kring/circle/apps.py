from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CircleConfig(AppConfig):
    name = "kring.circle"
    verbose_name = _("Circle")

    def ready(self) -> None:
        from kring.circle import (
            hooks,  # noqa: F401 - registers its lifecycle hooks
            personal_data,  # noqa: F401 - registers its part of the personal data
        )
