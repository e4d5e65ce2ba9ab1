"""What a valuation shows: per-method rows, the charts, conventions and the disclaimer — one context for
the workspace, the HTML report and the PDF, so the three never disagree."""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from exchange.core.security import csp_hash

from . import charts, texts
from .engine import CATEGORIES
from .models import Method

# The report is one self-contained document (it is hashed and sealed), so its CSS stays inline; the
# Content Security Policy allows exactly this text by its hash (REPORT_CSP), not every inline style.
# Changing it changes the hash of reports published later, never of those already stored.
REPORT_CSS = mark_safe(  # noqa: S308 - a constant of ours, no user data
    '\nbody{font-family:"DejaVu Sans",Arial,sans-serif;max-width:60rem;margin:1.5rem auto;'
    "padding:0 1rem;color:#1f2933;font-size:14px}"
    "\ntable{border-collapse:collapse;margin:.5rem 0;width:100%}"
    "th,td{border:1px solid #d9e2ec;padding:.25rem .4rem;text-align:left}"
    "\ntd.num{text-align:right;white-space:nowrap}"
    ".disclaimer{border:2px solid #cc4125;padding:.6rem}svg{max-width:100%;height:auto}"
    "\n.facts{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem}"
    ".facts dt{font-weight:bold}\n@media print{a{color:inherit;text-decoration:none}"
    "details{display:none}}\n"
)
REPORT_CSP = {"style-src": ["'self'", csp_hash(REPORT_CSS)]}


def money(value: int | None) -> str:
    """12345678 → "12.345.678 ₫" (Vietnamese thousands separator)."""
    if value is None:
        return "—"
    return f"{int(value):,} ₫".replace(",", ".")


SHORT_LABELS = {
    "relief_from_royalty": _lazy("Miễn trả phí bản quyền"),
    "dcf": _lazy("DCF"),
    "rnpv": _lazy("rNPV"),
    "rule_25": _lazy("Quy tắc 25 % (năm)"),
    "cost": _lazy("Chi phí"),
    "market": _lazy("So sánh thị trường"),
}


def method_label(method: str) -> str:
    try:
        return str(Method(method).label)
    except ValueError:
        return method


COLUMN_LABELS = {
    "year": _lazy("Năm"),
    "revenue": _lazy("Doanh thu"),
    "royalty": _lazy("Phí bản quyền"),
    "after_tax": _lazy("Sau thuế"),
    "discount_factor": _lazy("Hệ số chiết khấu"),
    "present_value": _lazy("Giá trị hiện tại"),
    "cash_flow": _lazy("Dòng tiền"),
    "probability": _lazy("Xác suất"),
    "amount": _lazy("Chi phí"),
    "index_factor": _lazy("Hệ số chỉ số giá"),
    "indexed": _lazy("Quy về năm định giá"),
    "label": _lazy("Giao dịch"),
    "value": _lazy("Giá"),
    "time_factor": _lazy("Hệ số thời gian"),
    "adjustments": _lazy("Điều chỉnh"),
    "adjustment_factor": _lazy("Hệ số điều chỉnh"),
    "adjusted_value": _lazy("Giá đã điều chỉnh"),
}
MONEY_KEYS = {
    "revenue",
    "royalty",
    "after_tax",
    "present_value",
    "cash_flow",
    "amount",
    "indexed",
    "value",
    "adjusted_value",
    "reproduction_cost",
    "with_margin",
    "low",
    "high",
}
FACT_LABELS = {
    "horizon_years": _lazy("Số năm tính"),
    "truncated_years": _lazy("Số năm bị cắt do hết bảo hộ"),
    "royalty_rate": _lazy("Tỷ lệ phí bản quyền"),
    "tax_rate": _lazy("Thuế suất"),
    "discount_rate": _lazy("Tỷ suất chiết khấu"),
    "operating_margin": _lazy("Biên lợi nhuận hoạt động"),
    "trl_success_probability": _lazy("Xác suất thành công theo TRL"),
    "probability_rule": _lazy("Quy tắc xác suất"),
    "reproduction_cost": _lazy("Chi phí tái tạo"),
    "margin": _lazy("Lợi nhuận nhà phát triển"),
    "with_margin": _lazy("Chi phí kèm lợi nhuận"),
    "remaining_fraction": _lazy("Phần còn lại sau hao mòn"),
    "low": _lazy("Thấp nhất"),
    "high": _lazy("Cao nhất"),
    "count": _lazy("Số giao dịch so sánh"),
    "note": _lazy("Lưu ý"),
}


def _fmt(key: str, value) -> str:
    if key in MONEY_KEYS and isinstance(value, (int, float)):
        return money(value)
    if isinstance(value, dict):
        return (
            ", ".join(f"{k}={v:+g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in value.items())
            or "—"
        )
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _table(key: str, rows: list[dict]) -> dict:
    headers = list(rows[0].keys())
    return {
        "headers": [str(COLUMN_LABELS.get(h, h)) for h in headers],
        "rows": [[_fmt(h, row.get(h)) for h in headers] for row in rows],
    }


def _row(method: str, result: dict, inputs: dict) -> dict[str, Any]:
    row: dict[str, Any] = {
        "method": method,
        "label": method_label(method),
        "help": texts.METHOD_HELP.get(method, ""),
        "inputs_json": json.dumps(inputs.get(method) or {}, ensure_ascii=False, indent=1),
        "error": result.get("error"),
        "details": result.get("details") or {},
        "value": result.get("value"),
        "range": result.get("range"),
        "simulation": result.get("simulation"),
    }
    if row["error"] or method == Method.SCORING:
        return row
    details = row["details"]
    row["tables"] = [
        _table(key, details[key]) for key in ("years", "costs", "comparables") if details.get(key)
    ]
    row["facts"] = [
        (str(FACT_LABELS[key]), _fmt(key, details[key]))
        for key in FACT_LABELS
        if details.get(key) not in (None, "")
    ]
    low = high = row["value"]
    if row["range"]:
        low, high = row["range"]["p10"], row["range"]["p90"]
    elif method == Method.MARKET:
        low, high = details.get("low", low), details.get("high", high)
    row["low"], row["high"] = min(low, row["value"]), max(high, row["value"])
    if row["simulation"]:
        row["histogram"] = charts.histogram_svg(
            row["simulation"]["histogram"],
            title=_("Phân phối mô phỏng Monte Carlo: %(m)s") % {"m": row["label"]},
            description=_("%(n)s lần mô phỏng, hạt giống %(s)s")
            % {"n": row["simulation"]["draws"], "s": row["simulation"]["seed"]},
            marks=row["range"],
            chart_id=f"hist-{method}",
        )
    return row


def report_context(*, methods: list[str], inputs: dict, results: dict) -> dict[str, Any]:
    by_method = results.get("methods") or {}
    rows = [_row(m, by_method[m], inputs) for m in methods if m in by_method]
    money_rows = [r for r in rows if r["method"] != Method.SCORING and not r["error"]]
    context: dict[str, Any] = {
        "rows": rows,
        "money_rows": money_rows,
        "conventions": texts.CONVENTIONS,
        "disclaimer": texts.DISCLAIMER,
        "computed_at": results.get("computed_at"),
    }
    if money_rows:
        context["football_field"] = charts.football_field_svg(
            [
                (str(SHORT_LABELS.get(r["method"], r["label"])), r["low"], r["value"], r["high"])
                for r in money_rows
            ],
            title=_("So sánh các phương pháp (football field)"),
            description=_(
                "Mỗi thanh là khoảng P10–P90 (hoặc thấp–cao) của một phương pháp; vạch đậm là giá trị."
            ),
        )
    scoring = next((r for r in rows if r["method"] == Method.SCORING and not r["error"]), None)
    if scoring:
        cats = scoring["details"]["categories"]
        context["scoring"] = {
            "overall": scoring["details"]["overall"],
            "categories": [(str(texts.CATEGORY_LABELS[c]), cats.get(c)) for c in CATEGORIES],
            "opportunities": [
                str(texts.FACTOR_LABELS[i["factor"]]) + f" ({i['score']})"
                for i in scoring["details"]["opportunities"]
            ],
            "risks": [
                str(texts.FACTOR_LABELS[i["factor"]]) + f" ({i['score']})"
                for i in scoring["details"]["risks"]
            ],
        }
        context["radar"] = charts.radar_svg(
            context["scoring"]["categories"],
            title=_("Hồ sơ chấm điểm định tính"),
            description=_("Điểm trung bình 1–5 của từng nhóm yếu tố"),
        )
    return context


def render_report_html(*, valuation, version, language: str = "vi", appraiser: dict | None = None) -> str:
    """The standalone report document (also the content an appraiser's signature covers)."""
    language = language if language in ("vi", "en") else "vi"
    with translation.override(language):
        context = report_context(methods=version.methods, inputs=version.inputs, results=version.results)
        context.update(
            {
                "valuation": valuation,
                "version": version,
                "language": language,
                "appraiser": appraiser,
                "report_css": REPORT_CSS,
                "listing_title": (
                    valuation.listing.title_en
                    if language == "en" and valuation.listing.title_en
                    else valuation.listing.title_vi
                )
                if valuation.listing_id
                else "",
            }
        )
        return render_to_string("valuation/report.html", context)
