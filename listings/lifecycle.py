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

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


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


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    who: frozenset[str]
    reason_required: bool = False


def _t(action, sources, target, who, reason_required=False):
    return [Transition(action, s, target, frozenset(who), reason_required) for s in sources]


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


class TransitionNotAllowed(Exception):  # noqa: N818 - the name the rest of the project uses
    """A refused transition. Catch this to handle both kinds below."""

    action: str = ""
    state: str = ""


class WrongState(TransitionNotAllowed, ValidationError):
    """The transition does not exist from the listing's current state (or its data is incomplete)."""

    def __init__(self, message, *, action: str = "", state: str = "", code: str = "wrong_state"):
        ValidationError.__init__(self, message, code=code)
        self.action = action
        self.state = state


class NotPermitted(TransitionNotAllowed, PermissionDenied):
    """The actor may not fire this transition on this listing (not theirs, wrong role)."""

    def __init__(self, message, *, action: str = "", state: str = ""):
        PermissionDenied.__init__(self, message)
        self.message = message
        self.messages = [str(message)]  # same shape as ValidationError for callers showing both
        self.action = action
        self.state = state


def transitions_for(action: str, source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and t.source == source]


def get_transition(action: str, source: str, target: str | None = None) -> Transition:
    """The row for (action, source[, target]), or ``WrongState`` naming the current state."""
    rows = transitions_for(action, source)
    if target is not None:
        rows = [t for t in rows if t.target == target]
    if not rows:
        raise WrongState(
            _("Không thể %(action)s tin ở trạng thái “%(state)s”.")
            % {"action": ACTION_LABELS.get(action, action), "state": ListingState(source).label},
            action=action,
            state=source,
        )
    return rows[0]


def available_actions(source: str) -> list[str]:
    """Actions that exist from a state (not checked against an actor)."""
    seen: list[str] = []
    for t in TRANSITIONS:
        if t.source == source and t.action not in seen:
            seen.append(t.action)
    return seen
