"""The valuation report as PDF with fpdf2 and the DejaVu fonts of ``exchange.deals.pdf`` (Vietnamese).

Charts are drawn with fpdf's own rectangles (a football field of the methods' ranges and the scoring
bars) rather than embedding the SVG, so the PDF needs nothing beyond fpdf2 and the font.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from exchange.deals.pdf import PdfUnavailable, add_unicode_fonts, pdf_available

from .charts import short_money
from .report import SHORT_LABELS, money, report_context

__all__ = ["PdfUnavailable", "valuation_pdf"]


def _pdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=14)
    add_unicode_fonts(pdf, styles=("B", "I"))
    return pdf


def _line(pdf, text: str, *, size: int = 10, style: str = "", h: float = 5) -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(pdf.epw, h, text, new_x="LMARGIN", new_y="NEXT")


def _football_field(pdf, rows: list[dict]) -> None:
    label_w, bar_h = 55, 6
    lo = min([0, *(r["low"] for r in rows)])
    hi = max([1, *(r["high"] for r in rows)])
    span = (hi - lo) or 1
    plot_x, plot_w = pdf.l_margin + label_w, pdf.epw - label_w - 2

    def x(v):
        return plot_x + plot_w * (v - lo) / span

    for r in rows:
        y = pdf.get_y()
        pdf.set_font("DejaVu", "", 8)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, bar_h, str(SHORT_LABELS.get(r["method"], r["label"]))[:40])
        pdf.set_fill_color(159, 197, 232)
        pdf.rect(x(r["low"]), y + 1, max(x(r["high"]) - x(r["low"]), 0.6), bar_h - 2, style="F")
        pdf.set_fill_color(11, 83, 148)
        pdf.rect(x(r["value"]) - 0.5, y, 1.0, bar_h, style="F")
        pdf.set_y(y + bar_h + 1.5)
    pdf.set_font("DejaVu", "", 7)
    y = pdf.get_y()
    for fraction in (0, 0.5, 1):
        v = lo + span * fraction
        pdf.set_xy(x(v) - 15, y)
        pdf.cell(30, 4, short_money(v), align="C")
    pdf.ln(6)


def _score_bars(pdf, categories) -> None:
    for label, value in categories:
        y = pdf.get_y()
        pdf.set_font("DejaVu", "", 9)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(40, 5, f"{label}")
        pdf.set_fill_color(217, 226, 236)
        pdf.rect(pdf.l_margin + 40, y + 1, 100, 3, style="F")
        if value:
            pdf.set_fill_color(11, 83, 148)
            pdf.rect(pdf.l_margin + 40, y + 1, 100 * value / 5, 3, style="F")
        pdf.set_xy(pdf.l_margin + 145, y)
        pdf.cell(20, 5, "–" if value is None else f"{value:g}/5")
        pdf.set_y(y + 6)


def valuation_pdf(*, valuation, version, language: str = "vi", report=None) -> bytes:
    """The report of one saved version (with the appraiser's signature block when ``report`` is given)."""
    if not pdf_available():
        raise PdfUnavailable("fpdf2 and DejaVuSans.ttf are needed for PDF reports")
    language = language if language in ("vi", "en") else "vi"
    with translation.override(language):
        ctx = report_context(methods=version.methods, inputs=version.inputs, results=version.results)
        pdf = _pdf()
        pdf.set_title(f"{valuation.title} v{version.number}")
        pdf.add_page()
        _line(pdf, _("Sàn giao dịch công nghệ TP.HCM"), size=9)
        _line(pdf, _("Báo cáo định giá công nghệ") + f": {valuation.title}", size=14, style="B", h=7)
        meta = f"{_('Phiên bản')} {version.number} · {version.created_at:%d/%m/%Y %H:%M}"
        if valuation.listing_id:
            meta += f" · {_('Công nghệ')}: {valuation.listing.title_vi}"
        _line(pdf, meta, size=9)
        _line(pdf, f"{_('Người lập')}: {valuation.owner.get_full_name()}", size=9)
        pdf.ln(3)
        if ctx["money_rows"]:
            _line(pdf, _("So sánh các phương pháp (football field)"), size=11, style="B")
            _football_field(pdf, ctx["money_rows"])
        for r in ctx["rows"]:
            _line(pdf, r["label"], size=11, style="B", h=6)
            _line(pdf, str(r["help"]), size=8, style="I", h=4)
            if r["error"]:
                _line(pdf, r["error"]["message"], size=9)
                continue
            if r["method"] == "scoring":
                _line(pdf, f"{_('Điểm tổng')}: {ctx['scoring']['overall']}/5", size=10)
                _score_bars(pdf, ctx["scoring"]["categories"])
                _line(pdf, f"{_('Cơ hội')}: " + ("; ".join(ctx["scoring"]["opportunities"]) or "—"), size=9)
                _line(pdf, f"{_('Rủi ro')}: " + ("; ".join(ctx["scoring"]["risks"]) or "—"), size=9)
                pdf.ln(2)
                continue
            _line(pdf, r["details"].get("formula", ""), size=9)
            text = f"{_('Giá trị')}: {money(r['value'])}"
            if r["range"]:
                rg = r["range"]
                text += f" · P10 {money(rg['p10'])} · P50 {money(rg['p50'])} · P90 {money(rg['p90'])}"
            _line(pdf, text, size=10, style="B")
            for label, value in r.get("facts", []):
                _line(pdf, f"{label}: {value}", size=8, h=4)
            for table in r.get("tables", []):
                with pdf.table(text_align="RIGHT", first_row_as_headings=True, line_height=4) as t:
                    pdf.set_font("DejaVu", "", 7)
                    t.row(table["headers"])
                    for row in table["rows"]:
                        t.row(row)
            if r["simulation"]:
                sim = r["simulation"]
                _line(
                    pdf,
                    _("Mô phỏng Monte Carlo: %(n)s lần, hạt giống %(s)s.")
                    % {"n": sim["draws"], "s": sim["seed"]},
                    size=8,
                )
            pdf.ln(2)
        _line(pdf, _("Quy ước"), size=11, style="B")
        for c in ctx["conventions"]:
            _line(pdf, f"• {c}", size=9)
        pdf.ln(2)
        _line(pdf, str(ctx["disclaimer"]), size=9, style="B")
        if report is not None:
            pdf.ln(3)
            _line(pdf, _("Ý kiến và xác nhận của thẩm định viên"), size=11, style="B")
            if report.opinion:
                _line(pdf, report.opinion, size=9)
            _line(
                pdf,
                f"{_('Thẩm định viên')}: {report.appraiser_name} · {report.published_at:%d/%m/%Y %H:%M} UTC",
                size=9,
            )
            _line(pdf, f"SHA-256 (HTML): {report.sha256}", size=7)
            _line(pdf, f"Seal: {report.seal}", size=7)
        return bytes(pdf.output())
