from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "kring.plans"
    verbose_name = _("Plans")

    def ready(self) -> None:
        from kring.messaging.outbox import message_sent
        from kring.plans import (
            hooks,  # noqa: F401 - registers its lifecycle hooks
            personal_data,  # noqa: F401 - registers its part of the personal data
        )
        from kring.plans.signals import record_email_delivery

        message_sent.connect(record_email_delivery, dispatch_uid="plans.email_delivery")
