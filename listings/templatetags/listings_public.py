"""Template helpers for the public listing pages: bilingual fields, TRL wording, VND prices."""

from django import template

from listings import display

register = template.Library()


@register.filter
def t(obj, name: str) -> str:
    """``{{ listing|t:"title" }}``: the field in the visitor's language, else the other one."""
    return obj.t(name) if obj is not None else ""


@register.filter
def t_lang(obj, name: str) -> str:
    """The language the ``t`` text is in, for a ``lang`` attribute when we fell back."""
    return obj.t_lang(name) if obj is not None else ""


@register.filter
def trl_label(level) -> str:
    return display.trl_label(level)


@register.filter
def trl_meaning(level) -> str:
    return display.trl_meaning(level)


@register.filter
def vnd(amount) -> str:
    return display.format_vnd(amount)


@register.filter
def price_range(listing) -> str:
    return display.price_range(listing)


@register.filter
def local_name(obj) -> str:
    """``name`` / ``name_en`` models (organisation, field, province) in the visitor's language."""
    from django.utils.translation import get_language

    if obj is None:
        return ""
    if (get_language() or "vi")[:2] == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """The current query string with some parameters replaced (pagination and sort links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@register.filter
def transaction_labels(codes) -> list[str]:
    from listings.models import TransactionType

    labels = dict(TransactionType.choices)
    return [str(labels.get(code, code)) for code in codes or []]
