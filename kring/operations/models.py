"""What operations need to keep in the database: which workers are alive."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched every round: `/gezond/klaar` and the metrics read
    how long ago a worker was last seen. Rows of workers gone for a day are removed."""

    name = models.CharField(_("worker"), max_length=120, unique=True)
    hostname = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process"))
    backend = models.CharField(_("task backend"), max_length=20)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    seen_at = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    # Its periodic jobs: name → {"at": ISO time of the last start, "ok": whether it went well}.
    jobs = models.JSONField(_("periodic jobs"), default=dict, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name
