"""Template helpers for the portal: snapshot values in a diff, state badges."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from listings.lifecycle import ACTION_LABELS, ListingState
from listings.models import IPStatus, IPType, TransactionType

register = template.Library()

STATE_CLASSES = {
    ListingState.DRAFT: "state-draft",
    ListingState.SUBMITTED: "state-review",
    ListingState.AWAITING_MODERATION: "state-review",
    ListingState.PUBLISHED: "state-live",
    ListingState.EXPIRED: "state-warn",
    ListingState.UNPUBLISHED: "state-warn",
    ListingState.CLOSED: "state-off",
    ListingState.ARCHIVED: "state-off",
}


@register.filter
def state_class(state: str) -> str:
    return STATE_CLASSES.get(state, "")


@register.filter
def state_label(state: str) -> str:
    try:
        return str(ListingState(state).label)
    except ValueError:
        return state


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _choice(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


@register.filter
def snapshot_value(value, name: str = "") -> str:
    """One side of a revision diff as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if name == "transaction_types" and isinstance(value, list):
        return ", ".join(_choice(TransactionType, v) for v in value)
    if name == "ip" and isinstance(value, list):
        parts = []
        for item in value:
            text = f"{_choice(IPType, item.get('type'))} ({_choice(IPStatus, item.get('status'))})"
            if item.get("number"):
                text += f" {item['number']}"
            parts.append(text)
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@register.filter
def percent_width(score) -> str:
    """A CSS width for a score bar, clamped to 0–100."""
    try:
        return f"{max(0, min(100, int(score)))}%"
    except (TypeError, ValueError):
        return "0%"
