"""Every write to a support request: create, quote (versioned), accept, assign, start, deliver, decline,
cancel. Keyword-only, one transaction each, the row locked; the person is checked (``NotPermitted``) before
the moment (``WrongState``); each writes an audit row ``service_request.<verb>`` and notifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization
from exchange.core.services import audit_record, notify

from . import permissions as sperms
from .lifecycle import (
    ACTION_LABELS,
    ACTIVITIES,
    MACHINE,
    TRANSITIONS,
    NotPermitted,
    WrongState,
    get_transition,
    transitions_for,
)
from .lifecycle import RequestState as S
from .models import ServiceKind, ServiceQuote, ServiceRequest, vat_of

DESCRIPTION_MAX_CHARS = 10_000

KIND_EN = {
    ServiceKind.CONSULTING: "Consulting",
    ServiceKind.BROKERAGE: "Brokerage",
    ServiceKind.VALUATION: "Technology valuation",
    ServiceKind.TECHNICAL_SUPPORT: "Technical support",
    ServiceKind.LEGAL_REVIEW: "Legal and contract review",
    ServiceKind.REGISTRATION_ASSISTANCE: "Technology transfer registration assistance",
}


# --- helpers ----------------------------------------------------------------------------------------
def _lock(request: ServiceRequest | int) -> ServiceRequest:
    queryset = ServiceRequest.objects.select_for_update(of=("self",)).select_related(
        "requester", "requester_organization", "assignee"
    )
    pk = request.pk if isinstance(request, ServiceRequest) else request
    locked = queryset.get(pk=pk)
    if isinstance(request, ServiceRequest):
        request.__dict__.update(locked.__dict__)
        return request
    return locked


def _refuse(action: str, request: ServiceRequest) -> NotPermitted:
    return NotPermitted(
        _("Bạn không có quyền %(action)s yêu cầu này.") % {"action": ACTION_LABELS.get(action, action)},
        action=action,
        state=request.state,
    )


def _check(action: str, request: ServiceRequest, actor):
    kinds = sperms.actor_kinds(actor, request)
    if not kinds & set().union(*(t.who for t in TRANSITIONS if t.action == action)):
        raise _refuse(action, request)
    rows = transitions_for(action, request.state)
    if rows and not kinds & set().union(*(t.who for t in rows)):
        raise _refuse(action, request)
    return get_transition(action, request.state)


def _check_activity(action: str, request: ServiceRequest, actor) -> None:
    states, who = ACTIVITIES[action]
    if not sperms.actor_kinds(actor, request) & who:
        raise _refuse(action, request)
    if request.state not in states:
        raise MACHINE.wrong_state(action, request.state)


def _snapshot(request: ServiceRequest) -> dict:
    return {"state": request.state, "assignee": request.assignee_id}


def _audit(actor, verb: str, request: ServiceRequest, before: dict | None, data: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=f"service_request.{verb}",
        target=request,
        before=before,
        after=_snapshot(request),
        data={"request": request.pk, **(data or {})},
    )


def _requester_side(request: ServiceRequest) -> list:
    return [request.requester] if request.requester.is_active else []


def _staff_side(request: ServiceRequest) -> list:
    if request.assignee_id and request.assignee.is_active:
        return [request.assignee]
    # No assignee yet: the staff (bounded; a small team).
    return list(
        get_user_model().objects.filter(is_active=True, roles__code="staff").distinct().order_by("pk")[:50]
    )


def _notify(request: ServiceRequest, kind: str, recipients, actor, **context) -> None:
    base = {
        "ref": f"DV-{request.pk}",
        "kind": request.get_kind_display(),
        "kind_en": KIND_EN.get(request.kind, request.kind),
        "actor": str(actor) if actor is not None else "",
        "reason": "",
        **context,
    }
    seen = set()
    for user in recipients:
        if user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        notify(recipient=user, kind=kind, context=base, url=request.get_absolute_url(), target=request)


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _current_quote(request: ServiceRequest) -> ServiceQuote | None:
    return request.quotes.filter(superseded_at__isnull=True).order_by("-version").first()


# --- create -----------------------------------------------------------------------------------------
@transaction.atomic
def service_request_create(
    *,
    actor,
    kind: str,
    description: str,
    organization: Organization | None = None,
    deal=None,
    listing=None,
) -> ServiceRequest:
    """Any signed-in user asks for a service, for themselves or on behalf of an organisation they belong to;
    a linked deal must be one they can see."""
    if not perms.is_authenticated(actor):
        raise NotPermitted(_("Vui lòng đăng nhập để yêu cầu dịch vụ."), action="create")
    if kind not in ServiceKind.values:
        raise ValidationError({"kind": _("Loại dịch vụ không hợp lệ.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Vui lòng mô tả nhu cầu của bạn.")})
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValidationError({"description": _("Mô tả quá dài.")})
    if organization is not None and not perms.is_member(actor, organization.pk):
        raise ValidationError({"organization": _("Bạn không phải thành viên của tổ chức này.")})
    if deal is not None:
        from exchange.deals.permissions import can_view as can_view_deal

        if not can_view_deal(actor, deal):
            raise ValidationError({"deal": _("Không tìm thấy giao dịch.")})
    if listing is not None:
        from listings.permissions import can_view as can_view_listing

        if not can_view_listing(actor, listing):
            raise ValidationError({"listing": _("Không tìm thấy tin công nghệ.")})
    request = ServiceRequest.objects.create(
        kind=kind,
        requester=actor,
        requester_organization=organization,
        deal=deal,
        listing=listing,
        description=description,
        state=S.NEW,
    )
    _audit(actor, "create", request, None, {"kind": kind})
    _notify(request, "support_request_created", _staff_side(request), actor)
    return request


# --- what other apps do when a request of their kind is assigned ------------------------------------
#: ``kind -> hook(actor=, request=, assignee=)``, run inside ``service_request_assign``'s transaction
#: after the assignee is saved. Registered explicitly from an AppConfig.ready() (valuation registers the
#: expert-valuation workspace), so support knows nothing of the apps that serve its kinds.
ASSIGN_HOOKS: dict[str, list[Callable[..., None]]] = {}


def register_assign_hook(kind: str, hook: Callable[..., None]) -> None:
    hooks = ASSIGN_HOOKS.setdefault(kind, [])
    if hook not in hooks:
        hooks.append(hook)


# --- staff workflow ---------------------------------------------------------------------------------
@transaction.atomic
def service_request_assign(*, actor, request: ServiceRequest, assignee) -> ServiceRequest:
    """Staff give the request to a staff member, or to an appraiser for a valuation.

    Apps serving the request's kind hear of it through ``ASSIGN_HOOKS`` (an expert valuation gets its
    workspace). An accepted request is started at once: the work begins when someone is assigned."""
    request = _lock(request)
    _check_activity("assign", request, actor)
    if assignee is not None and not sperms.can_be_assigned(assignee, request.kind):
        raise ValidationError(
            {"assignee": _("Chỉ nhân viên sàn (hoặc thẩm định viên với dịch vụ định giá) được phân công.")}
        )
    before = _snapshot(request)
    request.assignee = assignee
    request.save(update_fields=["assignee", "updated_at"])
    _audit(actor, "assign", request, before)
    if assignee is not None:
        _notify(request, "support_request_assigned", [assignee], actor)
        for hook in ASSIGN_HOOKS.get(request.kind, []):
            hook(actor=actor, request=request, assignee=assignee)
        if request.kind == ServiceKind.VALUATION and request.state == S.ACCEPTED:
            service_request_start(actor=actor, request=request)
    return request


@transaction.atomic
def service_request_quote(
    *,
    actor,
    request: ServiceRequest,
    amount_vnd: int,
    description: str,
    valid_until: dt.date,
    vat_percent: Decimal | str | int = Decimal("10"),
) -> ServiceQuote:
    """A new version of the price; it supersedes the previous one (which can no longer be accepted)."""
    request = _lock(request)
    transition = _check("quote", request, actor)
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd < 0:
        raise ValidationError({"amount_vnd": _("Giá là số nguyên VND không âm.")})
    try:
        vat = Decimal(str(vat_percent)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValidationError({"vat_percent": _("Thuế suất không hợp lệ.")}) from exc
    if not Decimal("0") <= vat <= Decimal("100"):
        raise ValidationError({"vat_percent": _("Thuế suất từ 0 đến 100%.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Vui lòng nêu nội dung báo giá.")})
    if not isinstance(valid_until, dt.date) or valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("Ngày hiệu lực phải từ hôm nay trở đi.")})
    now = timezone.now()
    previous = request.quotes.order_by("-version").first()
    request.quotes.filter(superseded_at__isnull=True).update(superseded_at=now)
    vat_vnd = vat_of(amount_vnd, vat)
    quote = ServiceQuote.objects.create(
        request=request,
        version=(previous.version if previous else 0) + 1,
        amount_vnd=amount_vnd,
        vat_percent=vat,
        vat_vnd=vat_vnd,
        total_vnd=amount_vnd + vat_vnd,
        description=description,
        valid_until=valid_until,
        created_by=actor,
    )
    before = _snapshot(request)
    request.state = transition.target
    request.save(update_fields=["state", "updated_at"])
    _audit(
        actor,
        "quote",
        request,
        before,
        {"quote": quote.pk, "version": quote.version, "amount_vnd": amount_vnd, "total_vnd": quote.total_vnd},
    )
    _notify(request, "support_request_quoted", _requester_side(request), actor, total=_vnd(quote.total_vnd))
    return quote


@transaction.atomic
def service_request_accept_quote(*, actor, request: ServiceRequest, quote: ServiceQuote) -> ServiceQuote:
    """The requester accepts the current, unexpired quote (then #7 can collect it)."""
    request = _lock(request)
    transition = _check("accept_quote", request, actor)
    quote = ServiceQuote.objects.select_for_update().get(pk=quote.pk)
    if quote.request_id != request.pk or quote.superseded_at is not None:
        raise WrongState(
            _("Chỉ có thể chấp nhận báo giá mới nhất."), action="accept_quote", state=request.state
        )
    if quote.valid_until < timezone.localdate():
        raise WrongState(
            _("Báo giá đã hết hiệu lực; vui lòng đề nghị sàn báo giá lại."),
            action="accept_quote",
            state=request.state,
        )
    quote.accepted_at = timezone.now()
    quote.accepted_by = actor
    quote.save(update_fields=["accepted_at", "accepted_by"])
    before = _snapshot(request)
    request.state = transition.target
    request.save(update_fields=["state", "updated_at"])
    _audit(actor, "accept_quote", request, before, {"quote": quote.pk, "total_vnd": quote.total_vnd})
    _notify(
        request, "support_request_quote_accepted", _staff_side(request), actor, total=_vnd(quote.total_vnd)
    )
    return quote


@transaction.atomic
def service_request_start(*, actor, request: ServiceRequest) -> ServiceRequest:
    request = _lock(request)
    transition = _check("start", request, actor)
    before = _snapshot(request)
    request.state = transition.target
    request.save(update_fields=["state", "updated_at"])
    _audit(actor, "start", request, before)
    _notify(request, "support_request_started", _requester_side(request), actor)
    return request


@transaction.atomic
def service_request_deliver(*, actor, request: ServiceRequest, note: str = "") -> ServiceRequest:
    request = _lock(request)
    transition = _check("deliver", request, actor)
    before = _snapshot(request)
    request.state = transition.target
    request.delivery_note = (note or "").strip()
    request.delivered_at = timezone.now()
    request.save(update_fields=["state", "delivery_note", "delivered_at", "updated_at"])
    _audit(actor, "deliver", request, before)
    _notify(request, "support_request_delivered", _requester_side(request), actor)
    return request


@transaction.atomic
def service_request_note_paid(
    *, request: ServiceRequest, reference: str, amount_vnd: int, actor=None
) -> None:
    """The accepted quote was paid in full (called by payments). Paying moves nothing in the workflow —
    delivery stays with the staff / the assignee — it is recorded and announced to the staff side."""
    request = _lock(request)
    audit_record(
        actor=actor,
        action="service_request.paid",
        target=request,
        data={"request": request.pk, "reference": reference, "amount_vnd": amount_vnd},
    )
    _notify(request, "support_request_paid", _staff_side(request), actor, total=_vnd(amount_vnd))


@transaction.atomic
def service_request_decline(*, actor, request: ServiceRequest, reason: str) -> ServiceRequest:
    return _close("decline", actor=actor, request=request, reason=reason)


@transaction.atomic
def service_request_cancel(*, actor, request: ServiceRequest, reason: str = "") -> ServiceRequest:
    return _close("cancel", actor=actor, request=request, reason=reason)


def _close(action: str, *, actor, request: ServiceRequest, reason: str) -> ServiceRequest:
    request = _lock(request)
    transition = _check(action, request, actor)
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do.")})
    before = _snapshot(request)
    request.state = transition.target
    request.close_reason = reason
    request.save(update_fields=["state", "close_reason", "updated_at"])
    _audit(actor, action, request, before, {"reason": reason})
    _notify(
        request,
        "support_request_closed",
        [*_requester_side(request), *_staff_side(request)],
        actor,
        reason=reason or "—",
    )
    return request


# --- the payments data contract -----------------------------------------------------------------------
@dataclass(frozen=True)
class PayableQuote:
    """What #7 needs to collect an accepted quote: the payer pays the exchange ``amount_vnd`` (VAT incl.)."""

    quote_id: int
    request_id: int
    reference: str
    amount_vnd: int
    amount_excl_vat_vnd: int
    vat_vnd: int
    currency: str
    payer_organization_id: int | None
    payer_user_id: int
    payee: str
    description: str


def service_quote_payable(quote: ServiceQuote) -> PayableQuote:
    """The payable view of an accepted, current quote; refuses any other (``WrongState``)."""
    request = quote.request
    if quote.accepted_at is None or quote.superseded_at is not None:
        raise WrongState(_("Báo giá chưa được chấp nhận."), action="pay", state=request.state)
    if request.state not in (S.ACCEPTED, S.IN_PROGRESS, S.DELIVERED):
        raise WrongState(_("Yêu cầu không còn hiệu lực để thanh toán."), action="pay", state=request.state)
    return PayableQuote(
        quote_id=quote.pk,
        request_id=request.pk,
        reference=f"DV-{request.pk}-v{quote.version}",
        amount_vnd=quote.total_vnd,
        amount_excl_vat_vnd=quote.amount_vnd,
        vat_vnd=quote.vat_vnd,
        currency="VND",
        payer_organization_id=request.requester_organization_id,
        payer_user_id=request.requester_id,
        payee="exchange",
        description=f"DV-{request.pk}: {request.get_kind_display()} (v{quote.version})",
    )
