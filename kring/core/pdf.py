"""The one way Kring makes a PDF: HTML rendered by WeasyPrint as tagged PDF/UA-1.

Kring's templates never hold a bidirectional embedding, override or isolate control, so any
in the HTML came with someone's text: they are removed, so that no text in a letter or plan
can turn the rest of its line around ("evil" shown as "live"). Arabic or Hebrew text needs none
of them: the bidi algorithm orders it by itself. Where a reference or a phone number must read
left to right inside Arabic, the templates put left-to-right marks (U+200E) around it
(``ltr_mark``): a mark turns nothing around and is kept.
"""

from __future__ import annotations

import re

from django.conf import settings

BIDI_EMBEDDINGS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def pdf_ua(html: str) -> bytes:
    """``html`` as PDF/UA-1; relative addresses resolve against the project folder."""
    import weasyprint  # type: ignore[import-untyped]  # lazy: needs Pango

    html = BIDI_EMBEDDINGS.sub("", html)
    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    return bytes(pdf)
