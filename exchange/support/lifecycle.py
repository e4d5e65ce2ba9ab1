"""The support-request workflow: every state and allowed transition, in one table.

(new) ─create─▶ new ─quote─▶ quoted ─accept_quote─▶ accepted ─start─▶ in_progress ─deliver─▶ delivered
new / quoted ─quote (a new version)─▶ quoted
new / quoted ─decline─▶ declined                        (staff)
new / quoted / accepted ─cancel─▶ cancelled             (requester or staff; in progress: staff only)
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.core.statemachine import (  # noqa: F401 - re-exported
    NotPermitted,
    StateMachine,
    Transition,
    TransitionNotAllowed,
    WrongState,
    transitions,
)


class RequestState(models.TextChoices):
    NEW = "new", _("Mới")
    QUOTED = "quoted", _("Đã báo giá")
    ACCEPTED = "accepted", _("Đã chấp nhận báo giá")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DELIVERED = "delivered", _("Đã hoàn thành")
    DECLINED = "declined", _("Sàn từ chối")
    CANCELLED = "cancelled", _("Đã hủy")


class Actor(models.TextChoices):
    REQUESTER = "requester", _("Người yêu cầu")
    ASSIGNEE = "assignee", _("Người được phân công")
    STAFF = "staff", _("Nhân viên sàn")


S = RequestState
A = Actor
_t = transitions

OPEN_STATES = frozenset({S.NEW, S.QUOTED, S.ACCEPTED, S.IN_PROGRESS})

TRANSITIONS: list[Transition] = [
    *_t("quote", [S.NEW, S.QUOTED], S.QUOTED, {A.STAFF, A.ASSIGNEE}),
    *_t("accept_quote", [S.QUOTED], S.ACCEPTED, {A.REQUESTER}),
    *_t("start", [S.ACCEPTED], S.IN_PROGRESS, {A.STAFF, A.ASSIGNEE}),
    *_t("deliver", [S.IN_PROGRESS], S.DELIVERED, {A.STAFF, A.ASSIGNEE}),
    *_t("decline", [S.NEW, S.QUOTED], S.DECLINED, {A.STAFF}, reason_required=True),
    *_t("cancel", [S.NEW, S.QUOTED, S.ACCEPTED], S.CANCELLED, {A.REQUESTER, A.STAFF}),
    *_t("cancel", [S.IN_PROGRESS], S.CANCELLED, {A.STAFF}),
]

ACTIVITIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assign": (OPEN_STATES, frozenset({A.STAFF})),
}

ACTION_LABELS = {
    "create": _("gửi yêu cầu"),
    "quote": _("báo giá"),
    "accept_quote": _("chấp nhận báo giá"),
    "start": _("bắt đầu thực hiện"),
    "deliver": _("xác nhận hoàn thành"),
    "decline": _("từ chối"),
    "cancel": _("hủy yêu cầu"),
    "assign": _("phân công"),
}

MACHINE = StateMachine(
    states=RequestState,
    table=TRANSITIONS,
    labels=ACTION_LABELS,
    wrong_state_message=_("Không thể %(action)s khi yêu cầu ở trạng thái “%(state)s”."),
)
transitions_for = MACHINE.transitions_for
get_transition = MACHINE.get_transition
available_actions = MACHINE.available_actions
