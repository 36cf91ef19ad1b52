from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kring.core import once

register = template.Library()


@register.simple_tag
def form_once() -> SafeString:
    """A fresh one-time token for a form that creates something (kring.core.once)."""
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, once.new_token())
