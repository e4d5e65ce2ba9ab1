"""The deal lifecycle: every state and every allowed transition, in one table.

Services (``exchange.deals.services``) look transitions up here and never decide on their own which state
may follow which. ``who`` names the kind of actor that may fire a transition; ``exchange.deals.permissions``
resolves a user to those kinds for one deal.

    (new) ─create_inquiry─▶ inquiry ─accept─▶ accepted ─require_nda─▶ nda_pending ─accept_nda─▶ negotiating
                            inquiry ─decline─▶ declined
                                              accepted ─open_negotiation (no NDA)─▶ negotiating
    negotiating ──propose_terms / accept_terms (one side)──▶ negotiating
    negotiating ──accept_terms (both sides)──▶ terms_agreed ──generate_contract──▶ contract_ready
    terms_agreed / contract_ready ──propose_terms──▶ negotiating   (signatures on the old contract are void)
    contract_ready ──sign (one side)──▶ contract_ready ──sign (both)──▶ signed ──start_execution──▶ executing
    executing ──complete──▶ completed
    any open state ──cancel──▶ cancelled      (signed/executing: staff only)

"Owner" is the side whose listing it is (the seller of an offer, the buyer of a request); the
"counterparty" is the organisation that expressed interest. Buyer/seller matter for terms and signatures.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.core.statemachine import (  # noqa: F401 - re-exported: callers import them from here
    NotPermitted,
    StateMachine,
    Transition,
    TransitionNotAllowed,
    WrongState,
    transitions,
)


class DealState(models.TextChoices):
    INQUIRY = "inquiry", _("Bày tỏ quan tâm")
    ACCEPTED = "accepted", _("Đã chấp nhận trao đổi")
    DECLINED = "declined", _("Đã từ chối")
    NDA_PENDING = "nda_pending", _("Chờ ký thỏa thuận bảo mật")
    NEGOTIATING = "negotiating", _("Đang đàm phán")
    TERMS_AGREED = "terms_agreed", _("Đã thống nhất điều khoản")
    CONTRACT_READY = "contract_ready", _("Hợp đồng chờ ký")
    SIGNED = "signed", _("Đã ký hợp đồng")
    EXECUTING = "executing", _("Đang thực hiện")
    COMPLETED = "completed", _("Hoàn tất")
    CANCELLED = "cancelled", _("Đã hủy")


class Actor(models.TextChoices):
    """Who may fire a transition (resolved by ``exchange.deals.permissions.actor_kinds``)."""

    OWNER = "owner", _("Bên đăng tin")
    COUNTERPARTY = "counterparty", _("Bên bày tỏ quan tâm")
    SIGNATORY = "signatory", _("Người có thẩm quyền ký của một bên")
    BROKER = "broker", _("Nhà môi giới được phân công")
    STAFF = "staff", _("Nhân viên sàn")


S = DealState
A = Actor
PARTIES = frozenset({A.OWNER, A.COUNTERPARTY})

TERMINAL_STATES = frozenset({S.DECLINED, S.COMPLETED, S.CANCELLED})
OPEN_STATES = frozenset(set(S.values) - TERMINAL_STATES)
# A deal in one of these states with an accepted NDA opens the listing's confidential files to the
# counterparty's members.
NDA_ACCESS_STATES = frozenset({S.NEGOTIATING, S.TERMS_AGREED, S.CONTRACT_READY, S.SIGNED, S.EXECUTING})
# The assigned broker may accept the NDA personally while the deal is live (the owner required it and the
# deal has not ended). Once it ended (declined, completed, cancelled) a broker who never accepted stays
# outside the confidential part for good: accepting afterwards would open the contract, the value and the
# listing's files to someone who no longer works on the deal. They keep the room's summary.
BROKER_NDA_STATES = frozenset({S.NDA_PENDING}) | NDA_ACCESS_STATES
# Messages may be posted while the deal is open.
MESSAGE_STATES = OPEN_STATES
PRE_SIGNATURE_STATES = frozenset(
    {S.INQUIRY, S.ACCEPTED, S.NDA_PENDING, S.NEGOTIATING, S.TERMS_AGREED, S.CONTRACT_READY}
)


_t = transitions

TRANSITIONS: list[Transition] = [
    *_t("accept", [S.INQUIRY], S.ACCEPTED, {A.OWNER}),
    *_t("decline", [S.INQUIRY], S.DECLINED, {A.OWNER}),
    *_t("require_nda", [S.ACCEPTED], S.NDA_PENDING, {A.OWNER}),
    *_t("accept_nda", [S.NDA_PENDING], S.NEGOTIATING, {A.COUNTERPARTY}),
    *_t("open_negotiation", [S.ACCEPTED], S.NEGOTIATING, {A.OWNER}),
    # A new version re-opens negotiation; after agreement or a generated contract it voids both.
    *_t(
        "propose_terms",
        [S.NEGOTIATING, S.TERMS_AGREED, S.CONTRACT_READY],
        S.NEGOTIATING,
        {*PARTIES, A.BROKER},
    ),
    # One side accepting keeps the deal negotiating; the second side's acceptance agrees the terms.
    *_t("accept_terms", [S.NEGOTIATING], S.NEGOTIATING, PARTIES),
    *_t("accept_terms", [S.NEGOTIATING], S.TERMS_AGREED, PARTIES),
    *_t("generate_contract", [S.TERMS_AGREED, S.CONTRACT_READY], S.CONTRACT_READY, {*PARTIES, A.STAFF}),
    *_t("sign", [S.CONTRACT_READY], S.CONTRACT_READY, {A.SIGNATORY}),
    *_t("sign", [S.CONTRACT_READY], S.SIGNED, {A.SIGNATORY}),
    *_t("start_execution", [S.SIGNED], S.EXECUTING, {*PARTIES, A.STAFF}),
    *_t("complete", [S.EXECUTING], S.COMPLETED, {A.OWNER, A.STAFF}),
    *_t("cancel", sorted(PRE_SIGNATURE_STATES), S.CANCELLED, {*PARTIES, A.STAFF}),
    *_t("cancel", [S.SIGNED, S.EXECUTING], S.CANCELLED, {A.STAFF}),
]

# Actions that do not change the state but are checked against it and the actor in the same way.
ACTIVITIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "send_message": (MESSAGE_STATES, frozenset({*PARTIES, A.BROKER, A.STAFF})),
    "assign_broker": (OPEN_STATES, frozenset({A.STAFF})),
    "milestone_done": (frozenset({S.EXECUTING}), frozenset({*PARTIES, A.STAFF})),
    # The assigned broker accepts the deal's NDA personally, once the owner has required one.
    "broker_accept_nda": (BROKER_NDA_STATES, frozenset({A.BROKER})),
    # An emailed one-time code for signing is asked for while the contract waits for signatures.
    "request_signature_code": (frozenset({S.CONTRACT_READY}), frozenset({A.SIGNATORY})),
    # After completion each side rates the experience once.
    "rate": (frozenset({S.COMPLETED}), PARTIES),
    # An authorised signatory gives (or withdraws) their side's consent to anonymised comparable use.
    "consent_comparable": (OPEN_STATES | {S.COMPLETED}, frozenset({A.SIGNATORY})),
}

ACTION_LABELS = {
    "create_inquiry": _("bày tỏ quan tâm"),
    "accept": _("chấp nhận trao đổi"),
    "decline": _("từ chối"),
    "require_nda": _("yêu cầu thỏa thuận bảo mật"),
    "accept_nda": _("chấp nhận thỏa thuận bảo mật"),
    "open_negotiation": _("mở đàm phán"),
    "propose_terms": _("đề xuất điều khoản"),
    "accept_terms": _("chấp nhận điều khoản"),
    "generate_contract": _("tạo hợp đồng"),
    "sign": _("ký hợp đồng"),
    "start_execution": _("bắt đầu thực hiện"),
    "complete": _("hoàn tất"),
    "cancel": _("hủy giao dịch"),
    "send_message": _("gửi tin nhắn"),
    "assign_broker": _("phân công môi giới"),
    "milestone_done": _("xác nhận mốc"),
    "broker_accept_nda": _("chấp nhận thỏa thuận bảo mật (môi giới)"),
    "request_signature_code": _("yêu cầu mã xác thực ký"),
    "rate": _("đánh giá giao dịch"),
    "consent_comparable": _("đồng ý dùng làm giao dịch so sánh"),
}


MACHINE = StateMachine(
    states=DealState,
    table=TRANSITIONS,
    labels=ACTION_LABELS,
    wrong_state_message=_("Không thể %(action)s khi giao dịch ở trạng thái “%(state)s”."),
)
transitions_for = MACHINE.transitions_for
get_transition = MACHINE.get_transition
available_actions = MACHINE.available_actions
_wrong_state = MACHINE.wrong_state


def check_activity(action: str, source: str) -> frozenset[str]:
    """The actor kinds allowed to do a state-preserving activity, or ``WrongState``."""
    states, who = ACTIVITIES[action]
    if source not in states:
        raise _wrong_state(action, source)
    return who
