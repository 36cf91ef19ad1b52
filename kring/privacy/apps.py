from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """The rights of the people in the data (access, erasure) and retention: the top of the
    house, reaching into every phase's models. The access log itself is ``kring.audit``."""

    name = "kring.privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from kring.privacy import jobs  # noqa: F401 - registers its periodic jobs
