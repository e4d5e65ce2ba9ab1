from django import template

from exchange.deals.models import MilestoneKind

from .. import selectors, services

register = template.Library()


@register.inclusion_tag("payments/_deal_panel.html", takes_context=True)
def payment_panel(context, deal):
    """The payment milestones of a deal with their payment requests and what this user may do:
    ``{% load payments_tags %}{% payment_panel deal %}`` in the deal room."""
    request = context.get("request")
    user = getattr(request, "user", None)
    by_milestone = selectors.milestone_requests(deal)
    can_request = services.can_request_payment(user, deal) and deal.state in services.PAYABLE_DEAL_STATES
    rows = []
    for m in deal.milestones.all():
        if m.kind != MilestoneKind.PAYMENT or m.amount_vnd <= 0:
            continue
        pr = by_milestone.get(m.pk)
        live = pr is not None and pr.status not in ("cancelled", "refunded")
        rows.append(
            {"milestone": m, "pr": pr, "requestable": can_request and not live and m.status != "done"}
        )
    return {
        "deal": deal,
        "rows": rows,
        "can_request": can_request,
        "can_pay": services.can_pay(user, deal),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def vnd(value) -> str:
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
