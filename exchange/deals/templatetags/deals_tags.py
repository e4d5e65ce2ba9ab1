from django import template

register = template.Library()


@register.filter
def vnd(value) -> str:
    """1234567 → "1.234.567" whatever the active locale (contract text must not depend on it)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


@register.filter
def item(items, code):
    """``items|item:"price"`` → the (vi, en) title pair of an Art. 23 item."""
    return items.get(code, ("", ""))


@register.filter
def getattr_(obj, name):
    return getattr(obj, name, "")


@register.filter
def pct(value) -> str:
    """A Decimal percentage with two decimals and a dot, whatever the locale."""
    try:
        return f"{value:.2f}"
    except (TypeError, ValueError):
        return ""
