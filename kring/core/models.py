from __future__ import annotations

from django.core.cache import caches
from django.db import models
from django.utils import timezone


class DemoData(models.Model):
    """Present while the demo data is loaded: shows the demo banner, keeps seeding idempotent."""

    loaded_at = models.DateTimeField(default=timezone.now)

    CACHE_KEY = "kring:demo-loaded"

    class Meta:
        verbose_name = "demo data"
        verbose_name_plural = "demo data"

    def __str__(self) -> str:
        return f"demo data loaded {self.loaded_at:%Y-%m-%d %H:%M}"

    @classmethod
    def is_loaded(cls) -> bool:
        """Read once a minute per process (its own memory): a demo loaded by ``seed`` in
        another process shows within the minute."""
        local = caches["local"]
        loaded = local.get(cls.CACHE_KEY)
        if loaded is None:
            loaded = cls.objects.exists()
            local.set(cls.CACHE_KEY, loaded, 60)
        return bool(loaded)

    @classmethod
    def mark_loaded(cls) -> None:
        cls.objects.get_or_create(pk=1)
        caches["local"].delete(cls.CACHE_KEY)


class RateLimitHit(models.Model):
    """One use of a rate-limited public form, by a hashed client address (never the address
    itself). Rows older than the longest window are swept away by the worker."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"


class SubmittedForm(models.Model):
    """A one-time form token that was sent (kring.core.once): a second post with the same
    token shows the first one's result instead of doing it again. Swept after a day."""

    token = models.CharField(max_length=64, unique=True)
    result = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"
