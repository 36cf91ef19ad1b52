"""The one way Kring makes a PDF: HTML rendered by WeasyPrint as tagged PDF/UA-1."""

from __future__ import annotations

from django.conf import settings


def pdf_ua(html: str) -> bytes:
    """``html`` as PDF/UA-1; relative addresses resolve against the project folder."""
    import weasyprint  # type: ignore[import-untyped]  # lazy: needs Pango

    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    return bytes(pdf)
