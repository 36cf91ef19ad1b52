"""The one way Kring hands over a file: as an attachment with its name, never cached."""

from __future__ import annotations

from django.http import HttpResponse


def attachment(
    content: bytes | str, filename: str, content_type: str = "application/pdf"
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
