"""The listing lifecycle: every state and every allowed transition, in one table.

Services (``listings.services``) look transitions up here and never decide on their own which state may
follow which. ``who`` names the kind of actor that may fire a transition; the permission functions behind
those names live in ``listings.permissions``.

    draft ──submit──▶ submitted ──tto_approve──▶ awaiting_moderation ──publish──▶ published
      ▲   └─submit (organisation has no TTO manager)──▶ awaiting_moderation          │
      └──────── send_back (with a reason) from submitted / awaiting_moderation      │
    published ──expire (scheduler)──▶ expired ──renew──▶ published (renew also extends a live listing)
    published ──unpublish──▶ unpublished ──submit──▶ (review again)
    published / unpublished / expired ──close──▶ closed
    draft / closed / unpublished / expired ──archive──▶ archived
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


class ListingState(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Chờ bộ phận chuyển giao (TTO) duyệt")
    AWAITING_MODERATION = "awaiting_moderation", _("Chờ kiểm duyệt")
    PUBLISHED = "published", _("Đang đăng")
    EXPIRED = "expired", _("Hết hạn")
    UNPUBLISHED = "unpublished", _("Đã gỡ")
    CLOSED = "closed", _("Đã đóng")
    ARCHIVED = "archived", _("Lưu trữ")


class Actor(models.TextChoices):
    """Who may fire a transition (resolved by ``listings.permissions.actor_kinds``)."""

    OWNER = "owner", _("Chủ sở hữu (người tạo, đồng tác giả, thành viên tổ chức)")
    TTO_MANAGER = "tto_manager", _("Quản lý TTO của tổ chức")
    MODERATOR = "moderator", _("Kiểm duyệt viên")
    SYSTEM = "system", _("Hệ thống (tác vụ định kỳ)")


S = ListingState
A = Actor

# Where a listing may be while it is visible to the public and to peer exchanges.
PUBLIC_STATES = frozenset({S.PUBLISHED})
# Where a listing is waiting for someone else's decision.
REVIEW_STATES = frozenset({S.SUBMITTED, S.AWAITING_MODERATION})
# Where the owner edits the listing itself; a published listing is edited through a revision.
EDITABLE_STATES = frozenset({S.DRAFT, S.UNPUBLISHED})
REVISABLE_STATES = frozenset({S.PUBLISHED})


_t = transitions

TRANSITIONS: list[Transition] = [
    # Submitting goes to the organisation's TTO when it has an active TTO manager, else to moderation.
    *_t("submit", [S.DRAFT, S.UNPUBLISHED], S.SUBMITTED, {A.OWNER}),
    *_t("submit", [S.DRAFT, S.UNPUBLISHED], S.AWAITING_MODERATION, {A.OWNER}),
    *_t("tto_approve", [S.SUBMITTED], S.AWAITING_MODERATION, {A.TTO_MANAGER}),
    *_t("send_back", [S.SUBMITTED], S.DRAFT, {A.TTO_MANAGER, A.MODERATOR}, reason_required=True),
    *_t("send_back", [S.AWAITING_MODERATION], S.DRAFT, {A.MODERATOR}, reason_required=True),
    *_t("publish", [S.AWAITING_MODERATION], S.PUBLISHED, {A.MODERATOR}),
    *_t("unpublish", [S.PUBLISHED], S.UNPUBLISHED, {A.TTO_MANAGER, A.MODERATOR}),
    *_t("expire", [S.PUBLISHED], S.EXPIRED, {A.SYSTEM}),
    *_t("renew", [S.PUBLISHED, S.EXPIRED], S.PUBLISHED, {A.OWNER, A.TTO_MANAGER}),
    *_t("close", [S.PUBLISHED, S.UNPUBLISHED, S.EXPIRED], S.CLOSED, {A.OWNER}),
    *_t(
        "archive",
        [S.DRAFT, S.CLOSED, S.UNPUBLISHED, S.EXPIRED],
        S.ARCHIVED,
        {A.OWNER, A.TTO_MANAGER, A.MODERATOR},
    ),
]

ACTION_LABELS = {
    "submit": _("gửi duyệt"),
    "tto_approve": _("TTO duyệt"),
    "send_back": _("trả lại"),
    "publish": _("đăng"),
    "unpublish": _("gỡ"),
    "expire": _("hết hạn"),
    "renew": _("gia hạn"),
    "close": _("đóng"),
    "archive": _("lưu trữ"),
}


MACHINE = StateMachine(
    states=ListingState,
    table=TRANSITIONS,
    labels=ACTION_LABELS,
    wrong_state_message=_("Không thể %(action)s tin ở trạng thái “%(state)s”."),
)
transitions_for = MACHINE.transitions_for
get_transition = MACHINE.get_transition
available_actions = MACHINE.available_actions
