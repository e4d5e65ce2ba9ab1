from django import template

from ..report import money

register = template.Library()


@register.filter
def vnd(value):
    """Integer VND with Vietnamese thousands separators."""
    return money(value)
