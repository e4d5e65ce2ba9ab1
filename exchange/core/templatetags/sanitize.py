"""``{% load sanitize %}``: ``|sanitize_html`` (rich text), ``|sanitize_contract`` and ``|safe_url``.

See ``exchange.core.sanitize`` for what each keeps and why only these values need it."""

from django import template
from django.utils.safestring import mark_safe

from exchange.core import sanitize

register = template.Library()


@register.filter(is_safe=True)
def sanitize_html(value) -> str:
    return mark_safe(sanitize.clean_rich_text(value))  # noqa: S308 - cleaned by nh3 with an allow-list


@register.filter(is_safe=True)
def sanitize_contract(value) -> str:
    return mark_safe(sanitize.clean_contract_html(value))  # noqa: S308 - cleaned by nh3 with an allow-list


@register.filter
def safe_url(value) -> str:
    """The address, or "" when its scheme could run code; the template still escapes it."""
    return sanitize.safe_url(value)
