from allauth.account.apps import AccountConfig
from allauth.mfa.apps import MFAConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tasks_db.apps import TasksAppConfig


class CoreConfig(AppConfig):
    default = True  # apps.py holds other configs too: this one is kring.core's
    name = "kring.core"
    verbose_name = _("Kring")

    def ready(self) -> None:
        from kring.core import (
            jobs,  # noqa: F401 - registers its periodic jobs
            lookups,  # noqa: F401 - registers field__one_of
        )
        from kring.core.safety import install_form_cleaning

        install_form_cleaning()


# Third-party apps under names a Dutch administrator reads in the admin (their own names are
# English, or technical: "Tasks Database Backend", "MFA").
class SignInConfig(AccountConfig):
    verbose_name = pgettext_lazy("admin section", "Sign-in")


class SecondFactorConfig(MFAConfig):
    verbose_name = pgettext_lazy("admin section", "Second factor")


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = pgettext_lazy("admin section", "Background tasks")  # type: ignore[assignment]
