"""Labels, help texts and typical ranges shown next to every input (Vietnamese; English via .po files)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CONVENTIONS = [
    _("Tiền tệ: đồng Việt Nam (VND), làm tròn đến đồng."),
    _("Tỷ lệ nhập dưới dạng phân số: 0,05 nghĩa là 5 %."),
    _("Chiết khấu cuối năm theo mặc định; có thể chọn chiết khấu giữa năm."),
    _("Thời hạn tính không vượt quá thời hạn bảo hộ pháp lý còn lại (khi có nhập)."),
]

DISCLAIMER = _(
    "Kết quả này hỗ trợ đàm phán và ra quyết định, không thay thế chứng thư thẩm định giá do doanh nghiệp "
    "thẩm định giá có giấy phép phát hành theo Luật Giá và các Chuẩn mực thẩm định giá Việt Nam "
    "(Thông tư 37/2024/TT-BTC, 32/2024/TT-BTC)."
)

METHOD_HELP = {
    "relief_from_royalty": _(
        "Giá trị = khoản tiền bản quyền mà chủ sở hữu không phải trả nhờ sở hữu công nghệ: doanh thu × tỷ lệ "
        "phí bản quyền × (1 − thuế suất), chiết khấu về hiện tại."
    ),
    "dcf": _("Chiết khấu dòng tiền lợi nhuận tăng thêm nhờ công nghệ (năm đầu có thể âm do đầu tư)."),
    "rnpv": _(
        "Như DCF nhưng mỗi năm nhân với xác suất thành công; mặc định theo TRL "
        "(có thể tự nhập xác suất từng năm)."
    ),
    "rule_25": _(
        "Gợi ý tỷ lệ phí bản quyền = 25 % biên lợi nhuận hoạt động của bên nhận; chỉ là điểm khởi đầu."
    ),
    "cost": _(
        "Chi phí tái tạo: chi phí nghiên cứu theo từng năm quy về năm định giá bằng chỉ số giá, "
        "cộng lợi nhuận nhà phát triển, trừ hao mòn chức năng, công nghệ và kinh tế."
    ),
    "market": _(
        "So sánh với giao dịch tương tự (lọc theo lĩnh vực, TRL, hình thức), điều chỉnh theo khác biệt; "
        "giá trị chỉ báo là trung vị."
    ),
    "scoring": _(
        "Chấm 1–5 các yếu tố pháp lý, công nghệ, thị trường, tài chính, chiến lược (theo tinh thần IPscore)."
    ),
}

#: input → (label, help text with the typical range)
INPUT_HELP = {
    "revenues": (
        _("Doanh thu từng năm (VND)"),
        _("Mỗi dòng một năm, từ năm thứ nhất. Có thể nhập khoảng: 800000000..1000000000..1500000000."),
    ),
    "royalty_rate": (_("Tỷ lệ phí bản quyền"), _("Thường 0,01–0,10 tùy ngành (phần mềm, dược cao hơn).")),
    "tax_rate": (_("Thuế suất thu nhập doanh nghiệp"), _("Việt Nam: 0,20 (ưu đãi có thể 0,10).")),
    "discount_rate": (
        _("Tỷ suất chiết khấu"),
        _("Thường 0,12–0,30 cho công nghệ; càng sớm (TRL thấp) càng cao."),
    ),
    "mid_year": (_("Chiết khấu giữa năm"), _("Dòng tiền đến đều trong năm thay vì cuối năm.")),
    "start_year": (_("Năm thứ nhất (năm dương lịch)"), _("Cần khi nhập năm hết bảo hộ.")),
    "protection_end_year": (
        _("Năm hết hạn bảo hộ"),
        _("Sáng chế: năm nộp đơn + 20; giải pháp hữu ích: + 10. Các năm sau đó không được tính."),
    ),
    "cash_flows": (
        _("Dòng tiền tăng thêm từng năm (VND)"),
        _("Mỗi dòng một năm; năm đầu có thể âm (đầu tư). Có thể nhập khoảng min..max."),
    ),
    "success_probabilities": (
        _("Xác suất thành công từng năm"),
        _("Để trống để dùng mặc định theo TRL. Mỗi dòng một năm, 0–1, xác suất tích lũy."),
    ),
    "trl": (_("Mức sẵn sàng công nghệ (TRL)"), _("1–9. Mặc định: TRL 4 → 0,20; TRL 6 → 0,45; TRL 8 → 0,80.")),
    "revenue": (_("Doanh thu năm của bên nhận từ sản phẩm (VND)"), _("Doanh thu một năm điển hình.")),
    "operating_margin": (_("Biên lợi nhuận hoạt động"), _("Thường 0,10–0,30.")),
    "costs": (
        _("Chi phí nghiên cứu (năm: số tiền)"),
        _("Mỗi dòng “năm: số tiền”, ví dụ 2022: 500000000."),
    ),
    "index_rate": (_("Tốc độ tăng chỉ số giá/năm"), _("Thường 0,03–0,05 (CPI Việt Nam gần đây).")),
    "valuation_year": (_("Năm định giá"), _("Năm quy đổi giá trị.")),
    "margin": (_("Lợi nhuận nhà phát triển"), _("Thường 0,10–0,25.")),
    "obsolescence.functional": (_("Hao mòn chức năng"), _("0–1; phần chức năng không còn cần.")),
    "obsolescence.technological": (_("Hao mòn công nghệ"), _("0–1; đã có công nghệ mới hơn.")),
    "obsolescence.economic": (_("Hao mòn kinh tế"), _("0–1; thị trường/điều kiện kinh tế bất lợi.")),
    "field_code": (_("Mã lĩnh vực"), _("Ví dụ 2.07; để trống để xem mọi lĩnh vực.")),
    "trl_min": (_("TRL từ"), ""),
    "trl_max": (_("TRL đến"), ""),
    "transaction_type": (_("Hình thức giao dịch"), ""),
    "adjustments": (
        _("Điều chỉnh theo giao dịch so sánh"),
        _(
            "Mỗi dòng “mã: tên=hệ số, …”, ví dụ 12: trl=0.1, quy_mo=-0.05 "
            "(+0,10 = công nghệ cần định giá hơn 10 %)."
        ),
    ),
    "draws": (_("Số lần mô phỏng"), _("Mặc định 10 000, tối đa 100 000.")),
    "seed": (_("Hạt giống ngẫu nhiên"), _("Giữ nguyên để kết quả lặp lại được.")),
}

CATEGORY_LABELS = {
    "legal": _("Pháp lý"),
    "technology": _("Công nghệ"),
    "market": _("Thị trường"),
    "finance": _("Tài chính"),
    "strategy": _("Chiến lược"),
}

FACTOR_LABELS = {
    "protection_status": _("Tình trạng và độ mạnh của bảo hộ"),
    "scope": _("Phạm vi yêu cầu bảo hộ và lãnh thổ"),
    "freedom_to_operate": _("Tự do khai thác (không vướng quyền của người khác)"),
    "maturity": _("Độ chín (TRL), đã chứng minh trong điều kiện thực"),
    "advantage": _("Ưu thế kỹ thuật so với giải pháp khác"),
    "substitutes": _("Khó thay thế / khó “lách”"),
    "market_size": _("Quy mô và tăng trưởng thị trường"),
    "demand": _("Bằng chứng nhu cầu (thử nghiệm, thư ý định)"),
    "competition": _("Vị thế cạnh tranh"),
    "cost_to_market": _("Chi phí, thời gian còn lại để ra thị trường (5 = thấp)"),
    "profitability": _("Biên lợi nhuận kỳ vọng"),
    "funding": _("Khả năng huy động vốn phát triển tiếp"),
    "fit": _("Phù hợp chiến lược của chủ sở hữu/bên nhận"),
    "team": _("Đội ngũ và đối tác triển khai"),
    "licensing_potential": _("Khả năng li-xăng cho nhiều bên"),
}
