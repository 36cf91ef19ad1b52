from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kring.accounts"
    verbose_name = _("People and places")

    def ready(self) -> None:
        from kring.accounts import signals  # noqa: F401 - connects the receivers
