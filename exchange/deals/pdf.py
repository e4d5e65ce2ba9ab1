"""The contract as PDF, rendered from the stored (hashed) HTML with fpdf2 and a Unicode TTF font.

The HTML stays the signed document of record (its SHA-256 is what signatures cover); the PDF is a
faithful printable rendering that carries that hash and the signatures on its last lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

#: Where the DejaVu fonts are (Debian's fonts-dejavu-core); override with settings.DEALS_PDF_FONT_DIR.
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"


class PdfUnavailable(RuntimeError):
    """fpdf2 or a Unicode font is missing; the HTML download still works."""


#: The family name every PDF of the exchange uses once ``add_unicode_fonts`` has registered it.
FONT_FAMILY = "DejaVu"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


def font_dir() -> Path:
    """The folder of the DejaVu fonts (settings.DEALS_PDF_FONT_DIR, else Debian's)."""
    return Path(getattr(settings, "DEALS_PDF_FONT_DIR", DEFAULT_FONT_DIR))


def add_unicode_fonts(pdf, styles: str | tuple[str, ...] = ("B", "I", "BI")) -> str:
    """Register the DejaVu family (regular plus ``styles``) on an ``FPDF`` and return its name.

    fpdf2's core fonts are Latin-1 only, so every PDF of the exchange (contracts, valuation reports,
    the yearly report) needs a Unicode TTF for Vietnamese. A style whose file is missing (some
    installs ship only the regular face) falls back to the regular face instead of failing."""
    folder = font_dir()
    regular = folder / _FONT_FILES[""]
    pdf.add_font(FONT_FAMILY, "", str(regular))
    for style in styles:
        path = folder / _FONT_FILES[style]
        pdf.add_font(FONT_FAMILY, style, str(path if path.exists() else regular))
    return FONT_FAMILY


def pdf_available() -> bool:
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return (font_dir() / _FONT_FILES[""]).exists()


def _simplify(html: str) -> str:
    """Keep the tags fpdf2's HTML renderer knows; turn layout wrappers into paragraphs."""
    html = re.sub(r"</?(article|header|footer|section|div)[^>]*>", "", html)
    html = re.sub(r"\s+(id|class|lang|data-[\w-]+)=\"[^\"]*\"", "", html)
    return html


def contract_pdf(contract, *, with_signatures: bool = True) -> bytes:
    """The PDF; without signature lines for the frozen copy handed out for signing with a certificate."""
    if not pdf_available():
        raise PdfUnavailable("fpdf2 and DejaVuSans.ttf are needed for PDF contracts")
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    add_unicode_fonts(pdf)
    pdf.set_font("DejaVu", size=10)
    pdf.set_title(f"HĐ-GD-{contract.deal_id}-{contract.pk}")
    pdf.add_page()
    pdf.write_html(_simplify(contract.content_html), font_family="DejaVu")
    pdf.ln(6)
    pdf.set_font("DejaVu", size=8)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(pdf.epw, 4, f"SHA-256 (HTML): {contract.sha256}", new_x="LMARGIN", new_y="NEXT")
    for signature in contract.signatures.all() if with_signatures else ():
        status = "VOID" if signature.voided_at else "OK"
        pdf.multi_cell(
            pdf.epw,
            4,
            f"{signature.get_side_display()}: {signature.user_name} ({signature.organization}) — "
            f"{signature.signed_at:%Y-%m-%d %H:%M} UTC — {signature.get_method_display()} — {status}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
