"""The support workflow through the services: each transition allowed and refused per role."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from exchange.core.models import AuditLog, Notification
from exchange.support import services
from exchange.support.lifecycle import NotPermitted, RequestState, WrongState
from exchange.support.models import ServiceQuote

from .conftest import tomorrow

pytestmark = pytest.mark.django_db


def test_full_flow(p, flow):
    request = flow.new()
    assert request.state == RequestState.NEW and request.requester_organization == p.org
    assert Notification.objects.filter(recipient=p.staff, kind="support_request_created").exists()
    services.service_request_assign(actor=p.staff, request=request, assignee=p.other_staff)
    quote = services.service_request_quote(
        actor=p.other_staff,
        request=request,
        amount_vnd=12_345_678,
        vat_percent="10",
        description="Tư vấn 3 buổi",
        valid_until=tomorrow(),
    )
    assert (quote.version, quote.vat_vnd, quote.total_vnd) == (1, 1_234_568, 13_580_246)
    assert Notification.objects.filter(recipient=p.requester, kind="support_request_quoted").exists()
    services.service_request_accept_quote(actor=p.org_signatory, request=request, quote=quote)
    assert request.state == RequestState.ACCEPTED
    assert Notification.objects.filter(
        recipient=p.other_staff, kind="support_request_quote_accepted"
    ).exists()
    services.service_request_start(actor=p.other_staff, request=request)
    services.service_request_deliver(actor=p.other_staff, request=request, note="Biên bản tư vấn")
    assert request.state == RequestState.DELIVERED and request.delivered_at
    assert list(
        AuditLog.objects.filter(data__request=request.pk).order_by("id").values_list("action", flat=True)
    ) == [
        "service_request.create",
        "service_request.assign",
        "service_request.quote",
        "service_request.accept_quote",
        "service_request.start",
        "service_request.deliver",
    ]


def test_create_validation(p):
    with pytest.raises(NotPermitted):
        services.service_request_create(actor=p.anonymous, kind="consulting", description="x")
    with pytest.raises(ValidationError):
        services.service_request_create(actor=p.requester, kind="nonsense", description="x")
    with pytest.raises(ValidationError):
        services.service_request_create(actor=p.requester, kind="consulting", description="  ")
    with pytest.raises(ValidationError):  # not a member of that organisation
        services.service_request_create(actor=p.third, kind="consulting", description="x", organization=p.org)
    personal = services.service_request_create(actor=p.stranger, kind="legal_review", description="Rà soát")
    assert personal.requester_organization is None


ACTIONS = {
    "quote": lambda actor, r: services.service_request_quote(
        actor=actor, request=r, amount_vnd=1_000_000, description="Báo giá", valid_until=tomorrow()
    ),
    "accept_quote": lambda actor, r: services.service_request_accept_quote(
        actor=actor, request=r, quote=r.quotes.get(superseded_at=None)
    ),
    "start": lambda actor, r: services.service_request_start(actor=actor, request=r),
    "deliver": lambda actor, r: services.service_request_deliver(actor=actor, request=r),
    "decline": lambda actor, r: services.service_request_decline(
        actor=actor, request=r, reason="Ngoài phạm vi"
    ),
    "cancel": lambda actor, r: services.service_request_cancel(
        actor=actor, request=r, reason="Không cần nữa"
    ),
    "assign": lambda actor, r: services.service_request_assign(actor=actor, request=r, assignee=actor),
}

MATRIX = [
    (
        "quote",
        "new",
        ["staff"],
        ["requester", "org_signatory", "colleague", "third", "stranger", "appraiser"],
    ),
    ("accept_quote", "quoted", ["requester", "org_signatory"], ["staff", "colleague", "third", "stranger"]),
    ("start", "accepted", ["staff"], ["requester", "org_signatory", "third", "appraiser"]),
    ("deliver", "in_progress", ["staff"], ["requester", "org_signatory", "third"]),
    ("decline", "quoted", ["staff"], ["requester", "org_signatory", "third", "appraiser"]),
    ("cancel", "accepted", ["requester", "org_signatory", "staff"], ["colleague", "third", "stranger"]),
    ("cancel", "in_progress", ["staff"], ["requester", "org_signatory"]),
    ("assign", "new", ["staff"], ["requester", "third", "appraiser", "broker"]),
]


@pytest.mark.parametrize(("action", "state", "allowed", "refused"), MATRIX)
def test_transition_roles(p, flow, action, state, allowed, refused):
    for who in refused:
        request = getattr(flow, state)()
        with pytest.raises(NotPermitted):
            ACTIONS[action](p[who], request)
        request.delete() if False else services.service_request_cancel(
            actor=p.staff, request=request, reason="x"
        )
    for who in allowed:
        request = getattr(flow, state)()
        ACTIONS[action](p[who], request)
        if request.state in (
            RequestState.NEW,
            RequestState.QUOTED,
            RequestState.ACCEPTED,
            RequestState.IN_PROGRESS,
        ):
            services.service_request_cancel(actor=p.staff, request=request, reason="x")


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("accept_quote", "accepted"),
        ("start", "quoted"),
        ("deliver", "accepted"),
        ("decline", "accepted"),
        ("quote", "accepted"),
    ],
)
def test_wrong_state_refused(p, flow, action, state):
    request = getattr(flow, state)()
    actor = p.requester if action == "accept_quote" else p.staff
    with pytest.raises(WrongState):
        ACTIONS[action](actor, request)


def test_terminal_states_refuse_everything(p, flow):
    request = flow.new()
    services.service_request_decline(actor=p.staff, request=request, reason="Ngoài phạm vi")
    for action in ("quote", "start", "cancel", "assign"):
        with pytest.raises(WrongState):
            ACTIONS[action](p.staff, request)


def test_decline_needs_reason(p, flow):
    with pytest.raises(ValidationError):
        services.service_request_decline(actor=p.staff, request=flow.new(), reason=" ")


def test_assignee_may_quote_and_deliver(p, flow):
    request = flow.new(kind="valuation")
    services.service_request_assign(actor=p.staff, request=request, assignee=p.appraiser)
    quote = services.service_request_quote(
        actor=p.appraiser,
        request=request,
        amount_vnd=50_000_000,
        description="Định giá",
        valid_until=tomorrow(),
    )
    services.service_request_accept_quote(actor=p.requester, request=request, quote=quote)
    services.service_request_start(actor=p.appraiser, request=request)
    services.service_request_deliver(actor=p.appraiser, request=request, note="Báo cáo định giá")
    assert request.state == RequestState.DELIVERED
    assert Notification.objects.filter(recipient=p.appraiser, kind="support_request_assigned").exists()


def test_appraiser_only_for_valuation(p, flow):
    with pytest.raises(ValidationError):
        services.service_request_assign(
            actor=p.staff, request=flow.new(kind="consulting"), assignee=p.appraiser
        )
    with pytest.raises(ValidationError):
        services.service_request_assign(actor=p.staff, request=flow.new(kind="valuation"), assignee=p.broker)


def test_quotes_are_versioned_and_only_the_current_is_accepted(p, flow):
    request = flow.quoted()
    first = flow.quote
    second = services.service_request_quote(
        actor=p.staff, request=request, amount_vnd=8_000_000, description="Giảm giá", valid_until=tomorrow()
    )
    assert second.version == 2
    assert ServiceQuote.objects.get(pk=first.pk).superseded_at is not None
    with pytest.raises(WrongState):
        services.service_request_accept_quote(actor=p.requester, request=request, quote=first)
    services.service_request_accept_quote(actor=p.requester, request=request, quote=second)


def test_expired_quote_refused(p, flow):
    request = flow.quoted()
    ServiceQuote.objects.filter(pk=flow.quote.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(WrongState):
        services.service_request_accept_quote(actor=p.requester, request=request, quote=flow.quote)


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True])
def test_quote_amount_validated(p, flow, amount):
    with pytest.raises(ValidationError):
        services.service_request_quote(
            actor=p.staff, request=flow.new(), amount_vnd=amount, description="x", valid_until=tomorrow()
        )


def test_quote_validity_in_the_past_refused(p, flow):
    with pytest.raises(ValidationError):
        services.service_request_quote(
            actor=p.staff,
            request=flow.new(),
            amount_vnd=1,
            description="x",
            valid_until=timezone.localdate() - dt.timedelta(days=1),
        )


def test_service_quote_payable(p, flow):
    request = flow.quoted()
    with pytest.raises(WrongState):
        services.service_quote_payable(flow.quote)
    services.service_request_accept_quote(actor=p.requester, request=request, quote=flow.quote)
    payable = services.service_quote_payable(ServiceQuote.objects.get(pk=flow.quote.pk))
    assert payable.amount_vnd == 11_000_000 and payable.currency == "VND"
    assert payable.payer_organization_id == p.org.pk and payable.payee == "exchange"
    assert payable.reference == f"DV-{request.pk}-v1"
    services.service_request_cancel(actor=p.staff, request=request, reason="x")
    with pytest.raises(WrongState):
        services.service_quote_payable(ServiceQuote.objects.get(pk=flow.quote.pk))
