"""HTML and URLs that reach a page without Django's escaping are cleaned here, with nh3 (ammonia).

Everything people type into the exchange — listing descriptions, deal and support messages, comments,
peers' federated records — is plain text: templates escape it, so ``<script>`` shows as text. Three kinds
of value bypass that escaping and are cleaned with an allow-list instead:

* rich text from Wagtail (``RichTextField`` and ``RichTextBlock``): Wagtail's editor only writes the
  elements of its enabled features and drops ``javascript:`` links, but anything written to the field by
  code, an import or the database itself is not checked, so every rendering goes through ``clean_rich_text``
  (the overridden ``wagtailcore/shared/richtext.html``);
* the stored contract HTML, which we generate from escaped templates and show with ``|safe``: cleaned again
  at render as defence in depth, with the contract's own small set of elements;
* addresses editors or organisations type into CharFields and URLFields that end up in ``href``: only
  relative paths, ``http``, ``https``, ``mailto`` and ``tel`` survive ``safe_url``.

nh3 removes ``<script>``/``<style>`` with their content, every ``on*`` attribute and ``style``, and any URL
whose scheme is not allowed (``javascript:``, ``data:``, ``vbscript:`` …); links get
``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import re

import nh3

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# What Wagtail's rich text produces for its default features: paragraphs, headings, lists, bold/italic,
# rules, links (pages, documents, external), images with their format class, and embeds.
RICH_TEXT_TAGS = frozenset(
    {"p", "br", "h2", "h3", "h4", "h5", "h6", "b", "strong", "i", "em", "u", "s", "sub", "sup", "code"}
    | {"ul", "ol", "li", "hr", "blockquote", "a", "img", "div", "span", "figure", "figcaption", "iframe"}
)
RICH_TEXT_ATTRIBUTES = {
    "*": {"class", "lang", "dir"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "iframe": {"src", "width", "height", "title", "allowfullscreen", "frameborder"},
}

CONTRACT_TAGS = frozenset(
    {"article", "header", "footer", "section", "div", "h1", "h2", "h3", "p", "br", "strong", "em", "b", "i"}
    | {"ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "span"}
)
CONTRACT_ATTRIBUTES = {
    "*": {"id", "class", "lang"},
    "article": {"data-deal", "data-terms-version"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}

_CLEAN_CONTENT = frozenset({"script", "style", "noscript", "template", "textarea", "title", "xmp"})


def clean_rich_text(html: str | None) -> str:
    """Rich text (Wagtail's HTML after link and image expansion) reduced to the allow-list above."""
    if not html:
        return ""
    return nh3.clean(
        str(html),
        tags=set(RICH_TEXT_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT),
        attributes={k: set(v) for k, v in RICH_TEXT_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )


def clean_contract_html(html: str | None) -> str:
    """A stored contract body, limited to the elements our contract templates use (no links, no images)."""
    if not html:
        return ""
    return nh3.clean(
        str(html),
        tags=set(CONTRACT_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT),
        attributes={k: set(v) for k, v in CONTRACT_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
    )


# Browsers ignore control characters and whitespace inside a scheme ('jav\tascript:'), so they are removed
# before the scheme is read.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\xa0\u200b-\u200d\ufeff]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def safe_url(url: str | None) -> str:
    """``url`` if it is relative or uses an allowed scheme, else ``""`` (the link is not shown as one).

    ``//host/path`` (scheme-relative) is an outside address and is kept: its scheme is the page's (https).
    """
    if not url:
        return ""
    value = str(url).strip()
    compact = _IGNORED_IN_SCHEME.sub("", value)
    # An entity-encoded colon (&#58; / &colon;) would be decoded by the browser inside an attribute.
    decoded = compact.lower().replace("&colon;", ":").replace("&#58;", ":").replace("&#x3a;", ":")
    match = _SCHEME.match(decoded)
    if match and match.group(1) not in URL_SCHEMES:
        return ""
    if not match and ":" in decoded.split("/", 1)[0] and "&" in decoded:
        return ""  # some other encoding of a scheme in the first segment: refuse rather than guess
    return value
