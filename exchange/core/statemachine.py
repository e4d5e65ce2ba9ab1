"""The mechanism behind every explicit state machine (listings, deals): a table of transitions, the
lookups services make against it, and the two refusals every caller (views, API, admin) handles alike.

Each domain keeps its states, actors, table and labels in its own ``lifecycle.py``; only the
mechanism lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    who: frozenset[str]
    reason_required: bool = False


def transitions(action: str, sources: Iterable[str], target: str, who, reason_required=False):
    """One row per source state, for writing tables compactly."""
    return [Transition(action, s, target, frozenset(who), reason_required) for s in sources]


class TransitionNotAllowed(Exception):  # noqa: N818 - the name the rest of the project uses
    """A refused transition. Catch this to handle both kinds below."""

    action: str = ""
    state: str = ""


class WrongState(TransitionNotAllowed, ValidationError):
    """The action does not exist from the object's current state (or its data is incomplete)."""

    def __init__(self, message, *, action: str = "", state: str = "", code: str = "wrong_state"):
        ValidationError.__init__(self, message, code=code)
        self.action = action
        self.state = state


class NotPermitted(TransitionNotAllowed, PermissionDenied):
    """The actor may not do this on this object (not theirs, wrong side, wrong role)."""

    def __init__(self, message, *, action: str = "", state: str = ""):
        PermissionDenied.__init__(self, message)
        self.message = message
        self.messages = [str(message)]  # same shape as ValidationError for callers showing both
        self.action = action
        self.state = state


class StateMachine:
    """Lookups over one transition table; ``wrong_state_message`` names the object in the refusal."""

    def __init__(self, *, states, table: list[Transition], labels: Mapping[str, str], wrong_state_message):
        self.states = states
        self.table = table
        self.labels = labels
        self.wrong_state_message = wrong_state_message

    def transitions_for(self, action: str, source: str) -> list[Transition]:
        return [t for t in self.table if t.action == action and t.source == source]

    def wrong_state(self, action: str, source: str) -> WrongState:
        return WrongState(
            self.wrong_state_message
            % {"action": self.labels.get(action, action), "state": self.states(source).label},
            action=action,
            state=source,
        )

    def get_transition(self, action: str, source: str, target: str | None = None) -> Transition:
        """The row for (action, source[, target]), or ``WrongState`` naming the current state."""
        rows = self.transitions_for(action, source)
        if target is not None:
            rows = [t for t in rows if t.target == target]
        if not rows:
            raise self.wrong_state(action, source)
        return rows[0]

    def available_actions(self, source: str) -> list[str]:
        """Actions that exist from a state (not checked against an actor)."""
        seen: list[str] = []
        for t in self.table:
            if t.source == source and t.action not in seen:
                seen.append(t.action)
        return seen
