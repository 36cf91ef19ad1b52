from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data: the story-like demo cases and personas of `make run` (``stories``) and the bulk
    generator of ``seed --cases N`` (``bulk``). The top of the house: it imports every phase,
    and nothing imports it but the tests and the benchmarks."""

    name = "kring.demo"
    verbose_name = _("Demo data")
