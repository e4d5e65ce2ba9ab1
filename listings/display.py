"""How listing values read on the public site, in both languages.

The TRL scale and money formats are written out here in Vietnamese and English rather than left to the
.po files: they are reference wording that must read the same everywhere (pages, API, PDFs).
"""

from __future__ import annotations

from django.utils.translation import get_language

TRL_MEANINGS: dict[int, tuple[str, str]] = {
    1: ("Nguyên lý cơ bản đã được quan sát và công bố", "Basic principles observed and reported"),
    2: ("Hình thành khái niệm công nghệ và ứng dụng", "Technology concept and application formulated"),
    3: ("Chứng minh khái niệm bằng phân tích và thực nghiệm", "Analytical and experimental proof of concept"),
    4: ("Kiểm chứng trong phòng thí nghiệm", "Technology validated in the laboratory"),
    5: ("Kiểm chứng trong môi trường liên quan", "Technology validated in a relevant environment"),
    6: ("Mẫu thử nghiệm trong môi trường liên quan", "Prototype demonstrated in a relevant environment"),
    7: (
        "Mẫu thử nghiệm trong môi trường vận hành thực tế",
        "System prototype demonstrated in an operational environment",
    ),
    8: ("Hệ thống hoàn chỉnh, đã được kiểm chứng và chứng nhận", "System complete and qualified"),
    9: (
        "Hệ thống đã vận hành thành công trong thực tế",
        "Actual system proven in an operational environment",
    ),
}


def _lang(language: str | None) -> str:
    return "en" if (language or get_language() or "vi")[:2] == "en" else "vi"


def trl_meaning(level: int | None, language: str | None = None) -> str:
    """``6`` → "mẫu thử nghiệm trong môi trường liên quan" (or the English), "" for no level."""
    if level not in TRL_MEANINGS:
        return ""
    vi, en = TRL_MEANINGS[level]
    return en if _lang(language) == "en" else vi


def trl_label(level: int | None, language: str | None = None) -> str:
    """``6`` → "TRL 6: Mẫu thử nghiệm trong môi trường liên quan"."""
    meaning = trl_meaning(level, language)
    return f"TRL {level}: {meaning}" if meaning else ""


def format_vnd(amount: int | None, language: str | None = None) -> str:
    """Integer VND for people: "500.000.000 ₫" in Vietnamese, "VND 500,000,000" in English."""
    if amount is None:
        return ""
    amount = int(amount)
    digits = f"{abs(amount):,}"
    sign = "-" if amount < 0 else ""
    if _lang(language) == "en":
        return f"{sign}VND {digits}"
    return f"{sign}{digits.replace(',', '.')} ₫"


def price_range(listing, language: str | None = None) -> str:
    """The listing's price as one phrase, "" when it has none."""
    from django.utils.translation import gettext as _

    low, high = listing.price_min, listing.price_max
    if low is not None and high is not None and low != high:
        text = f"{format_vnd(low, language)} – {format_vnd(high, language)}"
    elif low is not None or high is not None:
        value = format_vnd(low if low is not None else high, language)
        if low is None:
            text = _("Đến %(price)s") % {"price": value}
        elif high is None and low:
            text = _("Từ %(price)s") % {"price": value}
        else:
            text = value
    else:
        text = ""
    if listing.price_negotiable:
        text = f"{text} ({_('thỏa thuận')})" if text else _("Thỏa thuận")
    return text
