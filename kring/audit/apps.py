from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "kring.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kring.audit import (
            jobs,  # noqa: F401 - registers its periodic jobs
            personal_data,  # noqa: F401 - registers its part of the personal data
            signals,  # noqa: F401 - connects the sign-in receivers
        )

        post_migrate.connect(_guard_after_migrate, sender=self, dispatch_uid="audit.prune_guard")


def _guard_after_migrate(sender: object, using: str = "default", **kwargs: object) -> None:
    """The trigger carries the retention period: rewritten after every migrate."""
    from django.db import connections

    from kring.audit.log import install_prune_guard

    install_prune_guard(connections[using])
