"""The API benchmark runs end to end on a small amount of data and leaves nothing behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from kring.api.models import ApiClient
from kring.cases.models import Case


@pytest.mark.django_db
def test_bench_api_measures_pages_and_submissions_and_rolls_back():
    before = Case.objects.count()
    out = io.StringIO()
    call_command(
        "bench_api", cases=[12, 24], page=5, submissions=2, stdout=out, stderr=io.StringIO()
    )
    text = out.getvalue()
    lines = text.splitlines()
    assert any(line.split()[:2] == ["12", "12"] for line in lines), text  # every case, paged
    assert any(line.split()[:2] == ["24", "24"] for line in lines), text
    assert "peak memory at 24 vs 12 cases" in text
    assert "API POST /api/v1/aanvragen" in text and "form POST /aanvragen/" in text
    assert Case.objects.count() == before and ApiClient.objects.count() == 0
