from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "kring.messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from kring.messaging import (
            jobs,  # noqa: F401 - registers its periodic jobs
            personal_data,  # noqa: F401 - registers its part of the personal data
        )
