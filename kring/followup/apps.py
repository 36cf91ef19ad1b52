from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kring.followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from kring.followup import (
            hooks,  # noqa: F401 - registers its lifecycle hooks
            jobs,  # noqa: F401 - registers its periodic jobs
            personal_data,  # noqa: F401 - registers its part of the personal data
        )
