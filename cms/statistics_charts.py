"""The SVG charts of a statistics summary (shared by the staff dashboard, the public page and the PDF)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .charts import PALETTE, columns_svg, hbar_svg


def funnel_labels() -> dict[str, str]:
    return {
        "inquiry": _("Bày tỏ quan tâm"),
        "accepted": _("Được chấp nhận trao đổi"),
        "nda": _("Đã ký thỏa thuận bảo mật"),
        "negotiating": _("Đàm phán"),
        "signed": _("Ký hợp đồng"),
        "completed": _("Hoàn tất"),
    }


def charts_for(stats: dict) -> dict:
    labels = funnel_labels()
    deals = stats["deals"]
    return {
        "by_month": columns_svg(
            [(month, (offers, requests)) for month, offers, requests in stats["by_month"]],
            title=_("Tin công nghệ theo tháng"),
            series=[_("Chào bán"), _("Nhu cầu")],
            chart_id="c-month",
        ),
        "by_field": hbar_svg(stats["by_field"], title=_("Theo lĩnh vực"), chart_id="c-field"),
        "by_trl": hbar_svg(
            stats["by_trl"], title=_("Theo mức sẵn sàng (TRL)"), chart_id="c-trl", color=PALETTE[2]
        ),
        "by_province": hbar_svg(stats["by_province"], title=_("Theo tỉnh, thành"), chart_id="c-province"),
        "by_organization": hbar_svg(
            stats["by_organization"], title=_("Theo tổ chức"), chart_id="c-org", color=PALETTE[3]
        ),
        "by_state": hbar_svg(
            stats["by_state"], title=_("Theo trạng thái"), chart_id="c-state", color=PALETTE[4]
        ),
        "funnel": hbar_svg(
            [(labels[stage], n) for stage, n in deals["funnel"]],
            title=_("Phễu chuyển đổi giao dịch"),
            chart_id="c-funnel",
            color=PALETTE[1],
        ),
        "deal_stage": hbar_svg(deals["by_stage"], title=_("Giao dịch theo giai đoạn"), chart_id="c-stage"),
        "services": hbar_svg(
            stats["services"]["delivered_by_kind"], title=_("Dịch vụ đã hoàn thành"), chart_id="c-services"
        ),
        "events": hbar_svg(
            stats["events"]["per_event"], title=_("Đăng ký theo sự kiện"), chart_id="c-events"
        ),
        "federated": hbar_svg(stats["federated"], title=_("Tin liên thông theo sàn"), chart_id="c-fed"),
    }
