"""Folding, tokens, the text each listing is found by, and highlighting of the original text.

Every backend searches FOLDED text: lower case, every Vietnamese tone and vowel mark removed and
đ/Đ mapped to d, so 'dai hoc', 'ĐẠI HỌC' and 'Đại học' are the same two tokens. SQLite FTS5's own
``remove_diacritics`` never folds 'đ', hence the fold in Python (``anyascii``, per code point) for
both the indexed text and the query. Because the fold is per code point, a folded token can be mapped
back to its place in the original text, which is how ``highlight`` marks the words a visitor typed in
the text they read, with its diacritics.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from django.utils.safestring import SafeString, mark_safe

TOKEN_RE = re.compile(r"[a-z0-9]+")
#: Words of a query that are searched for; the rest are dropped (a pasted paragraph is not a query).
MAX_QUERY_TOKENS = 8


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """One code point folded: 'Đ' → 'd', 'ệ' → 'e', a lone combining mark → ''."""
    if ch < "\x80":
        return ch.lower()
    return anyascii(ch).lower()


def fold(text: str | None) -> str:
    """Lower case ASCII with all tone marks stripped and đ → d: 'Đại học' → 'dai hoc'."""
    if not text:
        return ""
    # anyascii maps code point by code point, so this equals "".join(map(fold_char, text)).
    return anyascii(text).lower()


def tokenize(text: str | None) -> list[str]:
    """Folded words: letters and digits, as the FTS5 ``unicode61`` tokenizer splits folded text."""
    return TOKEN_RE.findall(fold(text))


def query_tokens(q: str | None, limit: int = MAX_QUERY_TOKENS) -> list[str]:
    """The distinct folded words of a query, in order, at most ``limit``."""
    seen: list[str] = []
    for token in tokenize(q):
        if token not in seen:
            seen.append(token)
        if len(seen) >= limit:
            break
    return seen


# --- the document a listing is found by ------------------------------------------------------------
#: Columns of the search document with their relevance weights (title > keywords > summary > body).
#: ``org`` and ``place`` make the organisation and the province searchable without outranking the text.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 10.0,
    "keywords": 6.0,
    "summary": 3.0,
    "body": 1.0,
    "org": 2.0,
    "place": 1.5,
}
BODY_FIELDS = ("description", "advantages", "applications", "problem", "desired_outcome")


@dataclass(frozen=True)
class SearchDocument:
    """What every backend indexes for one published listing (text already folded)."""

    listing_id: int
    kind: str
    stamp: str
    title: str
    keywords: str
    summary: str
    body: str
    org: str
    place: str
    published_ts: float
    completeness: float
    #: folded titles for sorting by title (each falls back to the other language)
    sort_vi: str = ""
    sort_en: str = ""

    def columns(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELD_WEIGHTS}


def _join(*parts: str | None) -> str:
    return "\n".join(p.strip() for p in parts if p and p.strip())


def document_stamp(version: int, updated_at, org_updated_at) -> str:
    """What identifies the indexed state of a listing: its public version plus the listing's and its
    organisation's last change (an organisation rename changes no listing version)."""

    def ts(value) -> str:
        return f"{value.timestamp():.6f}" if value else "0"

    return f"{version}:{ts(updated_at)}:{ts(org_updated_at)}"


def completeness(listing) -> float:
    """0..1: how much of what a visitor looks for the listing fills in (a mild ranking boost)."""
    offer = listing.kind == "offer"
    if offer:
        trl_given = listing.trl is not None
        detail = any(
            (listing.advantages_vi, listing.advantages_en, listing.applications_vi, listing.applications_en)
        )
    else:
        trl_given = listing.trl_wanted_min is not None or listing.trl_wanted_max is not None
        detail = bool(listing.problem_vi or listing.problem_en)
    checks = [
        bool(listing.title_vi),
        bool(listing.title_en),
        bool(listing.summary_vi or listing.summary_en),
        bool(listing.description_vi or listing.description_en),
        bool(listing.keywords),
        trl_given,
        detail,
        listing.price_min is not None or listing.price_max is not None or listing.price_negotiable,
        listing.province_id is not None,
        bool(listing.transaction_types),
    ]
    return round(sum(checks) / len(checks), 3)


def build_document(listing) -> SearchDocument:
    """The folded search document of a listing (needs ``organization`` and ``province`` loaded).

    An anonymous request hides who is asking, so its organisation's name is not searchable either:
    otherwise typing the organisation's name would reveal it.
    """
    org = listing.organization
    org_text = "" if listing.anonymous else _join(org.name, org.name_en, org.short_name)
    province = listing.province
    place = _join(province.name, province.name_en) if province else ""
    keywords = listing.keywords if isinstance(listing.keywords, list) else []
    body = _join(*(getattr(listing, f"{name}_{lang}", "") for name in BODY_FIELDS for lang in ("vi", "en")))
    published = listing.published_at
    return SearchDocument(
        listing_id=listing.pk,
        kind=listing.kind,
        stamp=document_stamp(listing.version, listing.updated_at, org.updated_at),
        title=fold(_join(listing.title_vi, listing.title_en)),
        keywords=fold(_join(*map(str, keywords))),
        summary=fold(_join(listing.summary_vi, listing.summary_en)),
        body=fold(body),
        org=fold(org_text),
        place=fold(place),
        published_ts=published.timestamp() if published else 0.0,
        completeness=completeness(listing),
        sort_vi=fold(listing.title_vi or listing.title_en).strip(),
        sort_en=fold(listing.title_en or listing.title_vi).strip(),
    )


# --- highlighting ----------------------------------------------------------------------------------
def _one_to_one_table() -> tuple[dict[int, str], re.Pattern]:
    """``str.translate`` table folding, one character to one character, every code point of the Latin
    blocks Vietnamese (and English) text is written in, and a pattern of every other character: text
    without one folds position for position, so a folded offset is the original offset."""
    table: dict[int, str] = {}
    irregular: list[str] = []
    for start, end in ((0x00, 0x250), (0x1E00, 0x1F00)):
        for code in range(start, end):
            folded = fold_char(chr(code))
            if len(folded) == 1:
                table[code] = folded
            else:
                irregular.append(chr(code))
    covered = "\x00-\u024f\u1e00-\u1eff"
    pattern = re.compile(f"[^{covered}]|[{re.escape(''.join(irregular))}]")
    return table, pattern


_FOLD_TABLE, _IRREGULAR = _one_to_one_table()


def _fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, for every folded character, the index of the original one it came from
    (``None`` when they are the same: text of the common Latin letters folds one to one, in C)."""
    if not _IRREGULAR.search(text):
        return text.translate(_FOLD_TABLE), None
    out: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        folded = fold_char(ch)
        if folded:
            out.append(folded)
            offsets.extend([index] * len(folded))
    return "".join(out), offsets


def match_spans(text: str, tokens: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) spans in ``text`` of the words whose folded form is one of ``tokens``; spans
    separated only by spaces are merged ('<mark>xử lý</mark>', not two marks)."""
    wanted = set(tokens)
    if not text or not wanted:
        return []
    folded, offsets = _fold_with_offsets(text)
    if not any(token in folded for token in wanted):  # most fields of a page hold no query word
        return []
    spans: list[tuple[int, int]] = []
    for m in TOKEN_RE.finditer(folded):
        if m.group() not in wanted:
            continue
        if offsets is None:
            start, end = m.start(), m.end()
        else:
            start = offsets[m.start()]
            end = offsets[m.end() - 1] + 1
        # Take along combining marks that follow (text in NFD form) - they fold to nothing.
        while end < len(text) and not fold_char(text[end]):
            end += 1
        if spans and not text[spans[-1][1] : start].strip():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def highlight(original: str, tokens: Sequence[str], spans: list[tuple[int, int]] | None = None) -> SafeString:
    """``original`` HTML-escaped with the words matching ``tokens`` (folded) wrapped in ``<mark>``
    (``spans``: its ``match_spans`` when the caller has them already)."""
    if not original:
        return mark_safe("")
    pieces: list[str] = []
    last = 0
    for start, end in match_spans(original, tokens) if spans is None else spans:
        pieces.append(html.escape(original[last:start]))
        pieces.append(f"<mark>{html.escape(original[start:end])}</mark>")
        last = end
    pieces.append(html.escape(original[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped


def snippet(original: str, tokens: Sequence[str], *, size: int = 200) -> SafeString | None:
    """A highlighted excerpt of about ``size`` characters around the best match, None without one."""
    spans = match_spans(original, tokens)
    if not spans:
        return None
    if len(original) <= size:
        return highlight(original, tokens)
    # Centre on the span holding the most distinct query words ('Đại học' beats a lone 'dài').
    first = max(spans, key=lambda span: (len(set(tokenize(original[span[0] : span[1]]))), -span[0]))[0]
    start = max(0, first - size // 4)
    if start:
        space = original.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(original), start + size)
    if end < len(original):
        space = original.rfind(" ", start, end)
        end = space if space > first else end
    text = highlight(original[start:end].strip(), tokens)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(original) else ""
    return mark_safe(f"{prefix}{text}{suffix}")  # noqa: S308 - every piece is escaped


def listing_highlights(listing, tokens: Sequence[str], language: str = "vi") -> dict[str, SafeString]:
    """The fields of a listing where the query's words appear, highlighted, in the visitor's language
    first: ``title`` and ``summary`` whole, ``description`` as an excerpt of the first body text that
    matches, ``keywords`` (the matching ones), ``organization`` unless the listing is anonymous.
    Fields without a match are left out."""
    if not tokens:
        return {}
    order = ("en", "vi") if language == "en" else ("vi", "en")
    out: dict[str, SafeString] = {}
    for name in ("title", "summary"):
        for lang in order:
            text = getattr(listing, f"{name}_{lang}", "") or ""
            spans = match_spans(text, tokens)
            if spans:
                out[name] = highlight(text, tokens, spans)
                break
    for lang in order:
        found = None
        for name in BODY_FIELDS:
            found = snippet(getattr(listing, f"{name}_{lang}", "") or "", tokens)
            if found:
                break
        if found:
            out["description"] = found
            break
    if listing.keywords and isinstance(listing.keywords, list):
        marked = [highlight(str(k), tokens) for k in listing.keywords if match_spans(str(k), tokens)]
        if marked:
            out["keywords"] = mark_safe(", ".join(marked))  # noqa: S308 - every piece is escaped
    if not listing.anonymous:
        org = listing.organization
        for text in (org.name, org.name_en, org.short_name):
            spans = match_spans(text, tokens) if text else []
            if spans:
                out["organization"] = highlight(text, tokens, spans)
                break
    return out
