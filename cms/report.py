"""The yearly report to the Department of Science and Technology (Sở Khoa học và Công nghệ), as XLSX
and PDF, from the same figures as the statistics dashboard (cms.statistics). The PDF uses the DejaVu
fonts set up for contracts (exchange/deals/pdf.py) so Vietnamese renders everywhere."""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .statistics import Period, summary
from .statistics_charts import charts_for, funnel_labels

logger = logging.getLogger(__name__)


def report_filename(period: Period, fmt: str) -> str:
    return f"bao-cao-san-cong-nghe_{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " ₫"


def report_sections(stats: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """(section title, [(label, value)]) in the order both files present them."""
    listings, deals, services, events = stats["listings"], stats["deals"], stats["services"], stats["events"]
    labels = funnel_labels()
    avg = deals["avg_days_to_contract"]
    return [
        (
            _("1. Tổng hợp"),
            [
                (_("Công nghệ chào bán mới"), listings["offers"]),
                (_("Nhu cầu công nghệ mới"), listings["requests"]),
                (_("Tin được đăng trong kỳ"), listings["published_in_period"]),
                (_("Tổ chức có tin"), listings["organizations"]),
                (_("Lượt bày tỏ quan tâm"), deals["inquiries"]),
                (_("Thỏa thuận bảo mật được chấp nhận"), deals["nda_acceptances"]),
                (_("Hợp đồng đã ký"), deals["contracts_signed"]),
                (_("Giá trị hợp đồng đã ký (VND)"), deals["value_vnd"]),
                (_("Số ngày trung bình từ quan tâm đến ký hợp đồng"), avg if avg is not None else "—"),
                (_("Yêu cầu dịch vụ hỗ trợ"), services["requested"]),
                (_("Dịch vụ hỗ trợ đã hoàn thành"), services["delivered"]),
                (_("Sự kiện đã tổ chức"), events["events"]),
                (_("Lượt đăng ký tham dự (đã xác nhận)"), events["confirmed"]),
            ],
        ),
        (_("2. Tin công nghệ theo lĩnh vực"), stats["by_field"]),
        (_("3. Công nghệ chào bán theo TRL"), stats["by_trl"]),
        (_("4. Tin theo tỉnh, thành"), stats["by_province"]),
        (_("5. Tổ chức có nhiều tin nhất"), stats["by_organization"]),
        (_("6. Tin theo trạng thái hiện tại"), stats["by_state"]),
        (
            _("7. Tin theo tháng (chào bán / nhu cầu)"),
            [(m.strftime("%m/%Y"), f"{o} / {r}") for m, o, r in stats["by_month"]],
        ),
        (_("8. Phễu chuyển đổi giao dịch"), [(labels[s], n) for s, n in deals["funnel"]]),
        (_("9. Giao dịch theo giai đoạn"), deals["by_stage"]),
        (_("10. Dịch vụ đã hoàn thành theo loại"), services["delivered_by_kind"]),
        (_("11. Đăng ký theo sự kiện"), events["per_event"]),
        (_("12. Tin liên thông theo sàn"), stats["federated"]),
    ]


def _title(period: Period) -> tuple[str, str]:
    return (
        _("Báo cáo hoạt động Sàn giao dịch công nghệ TP.HCM"),
        _("Kỳ báo cáo: %(start)s – %(end)s · lập ngày %(today)s")
        % {
            "start": period.start.strftime("%d/%m/%Y"),
            "end": period.end.strftime("%d/%m/%Y"),
            "today": timezone.localdate().strftime("%d/%m/%Y"),
        },
    )


def report_xlsx(period: Period) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    stats = summary(period)
    title, subtitle = _title(period)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Báo cáo")[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([subtitle])
    ws.append([_("Đơn vị báo cáo: %(site)s") % {"site": settings.WAGTAIL_SITE_NAME}])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 22
    for section, rows in report_sections(stats):
        ws.append([])
        ws.append([section])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        if not rows:
            ws.append([_("(không có số liệu)")])
        for label, value in rows:
            ws.append([str(label), value])
            ws.cell(row=ws.max_row, column=2).alignment = Alignment(horizontal="right")
            if isinstance(value, int) and value >= 1000:
                ws.cell(row=ws.max_row, column=2).number_format = "#,##0"
    # One sheet per breakdown as raw data for the Department's own tables.
    data = wb.create_sheet(_("Theo tháng")[:31])
    data.append([_("Tháng"), _("Chào bán"), _("Nhu cầu")])
    for month, offers, requests in stats["by_month"]:
        data.append([month.strftime("%m/%Y"), offers, requests])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_pdf(period: Period) -> bytes:
    from fpdf import FPDF

    from exchange.deals.pdf import PdfUnavailable, add_unicode_fonts, pdf_available

    if not pdf_available():
        raise PdfUnavailable("fpdf2 and DejaVuSans.ttf are needed for the PDF report")
    stats = summary(period)
    title, subtitle = _title(period)
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    add_unicode_fonts(pdf, styles=("B",))
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT")
    charts = charts_for(stats)
    chart_after = {0: "funnel", 1: "by_field", 6: "by_month"}
    for i, (section, rows) in enumerate(report_sections(stats)):
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, section, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        if not rows:
            pdf.cell(0, 5, _("(không có số liệu)"), new_x="LMARGIN", new_y="NEXT")
        for label, value in rows:
            shown = _vnd(value) if "VND" in str(label) and isinstance(value, int) else str(value)
            pdf.cell(130, 5, str(label)[:90], border="B")
            pdf.cell(0, 5, shown, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
        name = chart_after.get(i)
        if name and rows:
            _embed_svg(pdf, str(charts[name]))
    return bytes(pdf.output())


def _embed_svg(pdf, svg: str) -> None:
    """Charts are drawn as SVG; fpdf2 renders that as vectors (skipped if a renderer lacks a feature)."""
    # The PDF's core fonts have no Vietnamese: labels use the DejaVu font registered above.
    svg = svg.replace("<text ", '<text font-family="DejaVu" ')
    try:
        pdf.ln(2)
        pdf.image(io.BytesIO(svg.encode("utf-8")), w=170)
    except Exception:  # noqa: BLE001 - a chart is a bonus; the table above carries the numbers
        logger.exception("statistics chart could not be drawn into the PDF report")
