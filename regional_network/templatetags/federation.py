"""Template helpers for federated listings: ``{% load federation %}``.

``listing|is_federated`` — true for a listing whose origin is another exchange;
``{% federation_inquiry_box listing %}`` — the listing page's action for such a listing
("Gửi quan tâm tới sàn gốc", with the origin's name), nothing for our own listings.
"""

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def is_federated(listing) -> bool:
    return bool(listing is not None and getattr(listing, "origin", "") != settings.EXCHANGE_ORIGIN)


@register.inclusion_tag("regional_network/_listing_actions.html", takes_context=True)
def federation_inquiry_box(context, listing):
    from ..models import Peer

    federated = is_federated(listing)
    peer = Peer.objects.filter(origin=listing.origin).only("name").first() if federated else None
    return {
        "federated": federated,
        "listing": listing,
        "peer_name": peer.name if peer else getattr(listing, "origin", ""),
        "user": context.get("user"),
        "request": context.get("request"),
    }
