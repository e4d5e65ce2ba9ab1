"""Which language a piece of content is really in, for ``lang`` attributes (WCAG 3.1.2, language of parts).

The English site shows Vietnamese text in three ways, and each is detected here, not guessed:

- a Wagtail page with no English translation: ``HomePage.route`` (and Wagtail's ``localized`` root) serve
  the Vietnamese page under ``/en/``; its locale is ``vi``;
- an *alias*: translating a page with its parents creates the English parents as aliases, which keep
  mirroring the Vietnamese source; their locale says ``en`` but their text is the source's (``alias_of``);
- a bilingual field whose English value is blank (``intro_en``, a menu label): the Vietnamese value shows.

A translation copy that an editor published without translating it cannot be told apart from a real
translation; simple_translation creates those copies as drafts, so publishing one is an editor's act.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

_REQUEST_MEMO = "_cms_locale_languages"


def active_language() -> str:
    return (get_language() or "vi")[:2]


def _locale_languages(request=None) -> dict[int, str]:
    """Locale id → language code: one query per request (the table has one row per content language)."""
    from wagtail.models import Locale

    codes = getattr(request, _REQUEST_MEMO, None) if request is not None else None
    if codes is None:
        codes = dict(Locale.objects.values_list("pk", "language_code"))
        if request is not None:
            setattr(request, _REQUEST_MEMO, codes)
    return codes


def with_content_locale(pages):
    """Annotate a page queryset with ``content_locale_id`` (an alias's source locale, else its own), so a
    list of pages needs no query per page to know each one's language."""
    return pages.annotate(content_locale_id=Coalesce(F("alias_of__locale_id"), F("locale_id")))


def page_language(page, request=None) -> str:
    """The language the page's own text (title, intro, body) is written in."""
    locale_id = getattr(page, "content_locale_id", None)
    if locale_id is None:
        locale_id = page.locale_id
        if page.alias_of_id:
            from wagtail.models import Page

            locale_id = (
                Page.objects.filter(pk=page.alias_of_id).values_list("locale_id", flat=True).first()
                or locale_id
            )
    return _locale_languages(request).get(locale_id, active_language())[:2]


def fallback_language(page, request=None) -> str:
    """``page_language`` when it differs from the language being served, else "" (no attribute needed)."""
    language = page_language(page, request)
    return "" if language == active_language() else language


def field_fallback_language(obj, name: str, language: str | None = None) -> str:
    """For a ``<name>_vi``/``<name>_en`` pair: "vi" when ``language`` is English and the English value is
    blank (the Vietnamese one is shown instead), else ""."""
    language = (language or active_language())[:2]
    if language == "en" and not (getattr(obj, f"{name}_en", "") or "").strip():
        return "vi" if (getattr(obj, f"{name}_vi", "") or "").strip() else ""
    return ""
