"""Reads of the regional network used elsewhere (search facet labels)."""

from __future__ import annotations

from .models import Peer


def origin_names(origins: list[str], language: str = "vi") -> dict[str, str]:
    """Peer exchanges' names by origin code (one query); unknown codes are left out."""
    if not origins:
        return {}
    return dict(Peer.objects.filter(origin__in=origins).values_list("origin", "name"))
