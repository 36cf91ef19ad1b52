from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmarks (`manage.py bench`, `bench_serve`, `bench_export`, `bench_api`,
    `bench_invitations`; docs/benchmarks.md). At the top: they build demo data at scale and
    measure every part; nothing imports them."""

    name = "kring.bench"
    verbose_name = "Benchmarks"
