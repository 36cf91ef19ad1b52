from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "kring.meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from kring.meetings import (
            hooks,  # noqa: F401 - registers its step on the case page
            jobs,  # noqa: F401 - registers its periodic jobs
            personal_data,  # noqa: F401 - registers its part of the personal data
        )
