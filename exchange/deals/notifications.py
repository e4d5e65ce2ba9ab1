"""Notification kinds of the deal room (Vietnamese and English side by side).

Context keys: ``deal`` (GD-<id>), ``title`` (listing), ``actor``, ``organization`` (acting side), plus
``reason``, ``version``, ``side_vi``/``side_en`` where noted.
"""

from exchange.core.notifications import register

_KINDS = {
    "deal_inquiry_received": (
        ("Quan tâm mới: {title}", "New inquiry: {title}"),
        (
            "{actor} ({organization}) bày tỏ quan tâm đến “{title}”. Vui lòng chấp nhận hoặc từ chối trao "
            "đổi.",
            "{actor} ({organization}) is interested in “{title}”. Please accept or decline the conversation.",
        ),
    ),
    "deal_accepted": (
        ("{organization} đã chấp nhận trao đổi", "{organization} accepted your inquiry"),
        (
            "Yêu cầu trao đổi về “{title}” ({deal}) đã được chấp nhận.",
            "Your inquiry about “{title}” ({deal}) was accepted.",
        ),
    ),
    "deal_declined": (
        ("{organization} đã từ chối trao đổi", "{organization} declined your inquiry"),
        (
            "Yêu cầu trao đổi về “{title}” ({deal}) đã bị từ chối. Lý do: {reason}",
            "Your inquiry about “{title}” ({deal}) was declined. Reason: {reason}",
        ),
    ),
    "deal_nda_required": (
        ("Cần chấp nhận thỏa thuận bảo mật: {title}", "Non-disclosure agreement required: {title}"),
        (
            "{organization} yêu cầu thỏa thuận bảo mật trước khi đàm phán về “{title}” ({deal}).",
            "{organization} asks for a non-disclosure agreement before negotiating “{title}” ({deal}).",
        ),
    ),
    "deal_nda_accepted": (
        ("Thỏa thuận bảo mật đã được chấp nhận ({deal})", "Non-disclosure agreement accepted ({deal})"),
        (
            "{actor} ({organization}) đã chấp nhận thỏa thuận bảo mật về “{title}”. Có thể bắt đầu đàm phán.",
            "{actor} ({organization}) accepted the NDA for “{title}”. Negotiation can start.",
        ),
    ),
    "deal_negotiation_opened": (
        ("Bắt đầu đàm phán: {title}", "Negotiation open: {title}"),
        (
            "{organization} đã mở phòng đàm phán cho “{title}” ({deal}).",
            "{organization} opened the negotiation room for “{title}” ({deal}).",
        ),
    ),
    "deal_message": (
        ("Tin nhắn mới ({deal})", "New message ({deal})"),
        ("{actor}: {excerpt}", "{actor}: {excerpt}"),
    ),
    "deal_terms_proposed": (
        ("Điều khoản mới phiên bản {version} ({deal})", "New terms, version {version} ({deal})"),
        (
            "{actor} đã đề xuất điều khoản phiên bản {version} cho “{title}”. Xem những thay đổi trong "
            "phòng giao dịch.",
            "{actor} proposed terms version {version} for “{title}”. See what changed in the deal room.",
        ),
    ),
    "deal_terms_accepted": (
        (
            "Điều khoản phiên bản {version} được chấp nhận ({deal})",
            "Terms version {version} accepted ({deal})",
        ),
        (
            "{actor} ({organization}) đã chấp nhận điều khoản phiên bản {version}.",
            "{actor} ({organization}) accepted terms version {version}.",
        ),
    ),
    "deal_terms_agreed": (
        ("Hai bên đã thống nhất điều khoản ({deal})", "Terms agreed by both sides ({deal})"),
        (
            "Điều khoản phiên bản {version} cho “{title}” đã được hai bên chấp nhận. Có thể tạo hợp đồng.",
            "Both sides accepted terms version {version} for “{title}”. The contract can be generated.",
        ),
    ),
    "deal_contract_ready": (
        ("Hợp đồng chờ ký ({deal})", "Contract ready to sign ({deal})"),
        (
            "Hợp đồng chuyển giao công nghệ cho “{title}” đã được tạo. Người có thẩm quyền của mỗi bên vui "
            "lòng ký.",
            "The technology transfer contract for “{title}” is ready. Each side's authorised signatory, "
            "please sign.",
        ),
    ),
    "deal_signed_by_side": (
        ("{organization} đã ký hợp đồng ({deal})", "{organization} signed the contract ({deal})"),
        (
            "{actor} đã ký hợp đồng về “{title}” thay mặt {organization}.",
            "{actor} signed the contract for “{title}” on behalf of {organization}.",
        ),
    ),
    "deal_fully_signed": (
        ("Hợp đồng đã được hai bên ký ({deal})", "Contract signed by both sides ({deal})"),
        (
            "Hợp đồng về “{title}” đã được ký đầy đủ và không thể thay đổi. {registration_vi}",
            "The contract for “{title}” is fully signed and can no longer change. {registration_en}",
        ),
    ),
    "deal_signatures_voided": (
        ("Chữ ký đã bị vô hiệu ({deal})", "Signatures voided ({deal})"),
        (
            "Điều khoản của “{title}” đã thay đổi sau khi ký; các chữ ký trước đó không còn hiệu lực.",
            "The terms of “{title}” changed after signing; earlier signatures are no longer valid.",
        ),
    ),
    "deal_execution_started": (
        ("Bắt đầu thực hiện hợp đồng ({deal})", "Contract execution started ({deal})"),
        (
            "Hợp đồng về “{title}” đang được thực hiện; các mốc được theo dõi trong phòng giao dịch.",
            "The contract for “{title}” is being carried out; milestones are tracked in the deal room.",
        ),
    ),
    "deal_milestone_done": (
        ("Mốc đã hoàn thành ({deal})", "Milestone done ({deal})"),
        ("{actor} xác nhận đã hoàn thành: {label}.", "{actor} confirmed as done: {label}."),
    ),
    "deal_completed": (
        ("Giao dịch hoàn tất ({deal})", "Deal completed ({deal})"),
        (
            "Giao dịch về “{title}” đã hoàn tất với giá trị {value} VND.",
            "The deal for “{title}” was completed with a value of {value} VND.",
        ),
    ),
    "deal_cancelled": (
        ("Giao dịch đã hủy ({deal})", "Deal cancelled ({deal})"),
        (
            "{actor} đã hủy giao dịch về “{title}”. Lý do: {reason}",
            "{actor} cancelled the deal for “{title}”. Reason: {reason}",
        ),
    ),
    "deal_broker_assigned": (
        ("Phân công môi giới ({deal})", "Broker assigned ({deal})"),
        (
            "{broker} được phân công hỗ trợ giao dịch về “{title}”.",
            "{broker} has been assigned to support the deal for “{title}”.",
        ),
    ),
    "deal_broker_nda_accepted": (
        ("Môi giới đã chấp nhận thỏa thuận bảo mật ({deal})", "Broker accepted the NDA ({deal})"),
        (
            "Nhà môi giới {actor} đã chấp nhận thỏa thuận bảo mật của giao dịch về “{title}”.",
            "The broker {actor} accepted the non-disclosure agreement of the deal for “{title}”.",
        ),
    ),
}

for _code, ((_subject_vi, _subject_en), (_body_vi, _body_en)) in _KINDS.items():
    register(_code, subject={"vi": _subject_vi, "en": _subject_en}, body={"vi": _body_vi, "en": _body_en})
