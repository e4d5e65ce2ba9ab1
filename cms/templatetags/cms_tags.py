"""Template tags of the public site: navigation, Open Graph meta, schema.org JSON-LD."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import template
from django.conf import settings
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from cms.content_language import active_language, fallback_language, field_fallback_language
from cms.site_url import absolute_url

register = template.Library()


def _json_for_script(data: dict) -> str:
    """JSON that cannot close the <script> element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def jsonld_script(data: dict):
    # <, > and & are \u-escaped inside the JSON, so it can neither close the script nor inject markup.
    safe_json = mark_safe(_json_for_script(data))  # noqa: S308
    return format_html('<script type="application/ld+json">{}</script>', safe_json)


@register.simple_tag(takes_context=True)
def site_navigation(context) -> dict:
    """``{% site_navigation as nav %}`` → nav.menu, nav.footer (label, href), nav.footer_text."""
    from cms.models import navigation_for

    request = context.get("request")
    if request is None:
        return {"menu": [], "footer": [], "footer_text": ""}
    try:
        return navigation_for(request)
    except Exception:  # noqa: BLE001 - a missing Site table (early migrations) must not break pages
        return {"menu": [], "footer": [], "footer_text": ""}


@register.inclusion_tag("cms/_og_meta.html", takes_context=True)
def og_meta(context) -> dict:
    """Open Graph and Twitter card meta for the current page (Wagtail page or any view)."""
    request = context.get("request")
    page = context.get("page")
    language = (get_language() or "vi")[:2]
    title = description = image = ""
    og_type = "website"
    if page is not None and hasattr(page, "seo_title"):
        title = page.seo_title or page.title
        describe = getattr(page, "seo_description", None)
        description = describe() if callable(describe) else (page.search_description or "")
        picture = getattr(page, "og_image", None) or getattr(page, "image", None)
        if picture is not None and request is not None:
            image = absolute_url(picture.get_rendition("fill-1200x630").url)
        if page.specific_class.__name__ in ("NewsArticlePage", "EventPage"):
            og_type = "article"
    else:
        title = context.get("og_title") or ""
        description = context.get("og_description") or ""
    return {
        "title": title or settings.WAGTAIL_SITE_NAME,
        "description": strip_tags(description)[:300],
        "image": image,
        "type": og_type,
        "url": context.get("canonical_url") or (absolute_url(request.path) if request else ""),
        "site_name": settings.WAGTAIL_SITE_NAME,
        "locale": "en_US" if language == "en" else "vi_VN",
        "alternate_locale": "vi_VN" if language == "en" else "en_US",
    }


def listing_jsonld_data(listing, request=None) -> dict:
    """schema.org for a listing: an Offer for a technology on offer, a Demand for a technology request."""
    language = (get_language() or "vi")[:2]
    url = absolute_url(listing.get_absolute_url())  # the public address, as in sitemap.xml
    item = {
        "@type": "Product",
        "name": listing.t("title", language),
        "category": (
            listing.field.name_en if language == "en" and listing.field.name_en else listing.field.name
        )
        if listing.field_id
        else None,
        "keywords": ", ".join(map(str, listing.keywords or [])) or None,
    }
    organization = None
    if listing.organization_id and not listing.anonymous:
        organization = {"@type": "Organization", "name": str(listing.organization)}
    data = {
        "@context": "https://schema.org",
        "@type": "Offer" if listing.is_offer else "Demand",
        "name": listing.t("title", language),
        "description": strip_tags(listing.t("summary", language))[:1000] or None,
        "url": url,
        "itemOffered": {k: v for k, v in item.items() if v},
        "inLanguage": language,
        "areaServed": {"@type": "Country", "name": "VN"},
    }
    if listing.is_offer:
        if organization:
            data["seller"] = organization
        if listing.price_min is not None or listing.price_max is not None:
            spec = {"@type": "PriceSpecification", "priceCurrency": "VND"}
            if listing.price_min is not None:
                spec["minPrice"] = listing.price_min
            if listing.price_max is not None:
                spec["maxPrice"] = listing.price_max
            data["priceSpecification"] = spec
            data["priceCurrency"] = "VND"
        if listing.expires_at:
            data["validThrough"] = listing.expires_at.isoformat()
        data["availability"] = (
            "https://schema.org/InStock" if listing.is_public else "https://schema.org/Discontinued"
        )
    else:
        if organization:
            data["seeker"] = organization
        if listing.deadline:
            data["validThrough"] = listing.deadline.isoformat()
        elif listing.expires_at:
            data["validThrough"] = listing.expires_at.isoformat()
    if listing.published_at:
        data["validFrom"] = listing.published_at.isoformat()
    return {k: v for k, v in data.items() if v is not None}


@register.simple_tag(takes_context=True)
def listing_jsonld(context, listing):
    """``{% listing_jsonld listing %}`` → <script type="application/ld+json"> (published listings only)."""
    if listing is None or not getattr(listing, "is_public", False):
        return ""
    return jsonld_script(listing_jsonld_data(listing, context.get("request")))


@register.simple_tag
def faq_jsonld(page):
    """schema.org FAQPage for an FAQ page."""
    entities = []
    for block in page.faqs:
        entities.append(
            {
                "@type": "Question",
                "name": block.value["question"],
                "acceptedAnswer": {"@type": "Answer", "text": strip_tags(str(block.value["answer"]))},
            }
        )
    return jsonld_script({"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": entities})


@register.simple_tag
def event_jsonld(page, request=None):
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": page.title,
        "startDate": page.start.isoformat(),
        "endDate": page.end.isoformat(),
        "description": page.intro or None,
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode"
        if page.online_url and not page.venue
        else "https://schema.org/OfflineEventAttendanceMode",
    }
    if page.venue:
        data["location"] = {"@type": "Place", "name": page.venue, "address": page.address or page.venue}
    elif page.online_url:
        data["location"] = {"@type": "VirtualLocation", "url": page.online_url}
    return jsonld_script({k: v for k, v in data.items() if v is not None})


# --- Language of parts (WCAG 3.1.2): cms.content_language says which text is a fallback ---------------
@register.simple_tag(takes_context=True)
def content_lang(context, page) -> str:
    """``{% content_lang page as page_lang %}``: the page's language when it is not the one being served
    (an untranslated or alias page under /en/ is Vietnamese), else ""."""
    if page is None or not hasattr(page, "locale_id"):
        return ""
    return fallback_language(page, context.get("request"))


@register.simple_tag(takes_context=True)
def lang_attr(context, page):
    """`` lang="vi"`` for a page title or text shown in the other language, nothing otherwise:
    ``<a href="…"{% lang_attr child %}>{{ child.title }}</a>``."""
    language = content_lang(context, page)
    return format_html(' lang="{}"', language) if language else ""


@register.simple_tag
def ui_lang() -> str:
    """The interface language, for UI text inside a block of content marked with another language."""
    return active_language()


@dataclass(frozen=True)
class Bilingual:
    text: str
    lang: str  # "" unless the text is the other language's value (a fallback)

    def __str__(self) -> str:
        return self.text

    @property
    def lang_attr(self):
        return format_html(' lang="{}"', self.lang) if self.lang else ""


@register.simple_tag
def bilingual(obj, name: str) -> Bilingual:
    """``{% bilingual page "intro" as intro %}<p{{ intro.lang_attr }}>{{ intro }}</p>``: a
    ``<name>_vi``/``<name>_en`` field in the visitor's language, or the Vietnamese value marked as such."""
    language = active_language()
    english = getattr(obj, f"{name}_en", "") if language == "en" else ""
    if english:
        return Bilingual(english, "")
    return Bilingual(getattr(obj, f"{name}_vi", "") or "", field_fallback_language(obj, name, language))


@register.filter
def vnd(value) -> str:
    try:
        return f"{int(value):,}".replace(",", ".") + " ₫"
    except (TypeError, ValueError):
        return "—"


@register.filter
def described(field):
    """The field's widget with ``aria-describedby`` naming its help text and its error list.

    Django ties only the help text (and sets ``aria-invalid``); a screen reader that lands on a field
    after a failed submission must also hear why it failed (WCAG 3.3.1). The ids are the ones the
    templates give those elements: ``<auto_id>_helptext`` and ``<auto_id>_error``."""
    if not field.auto_id:
        return field.as_widget()
    ids = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return field.as_widget(attrs={"aria-describedby": " ".join(ids)} if ids else None)
