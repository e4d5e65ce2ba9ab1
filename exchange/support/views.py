"""Support pages: the requester's list, new request, detail (with quotes), and the staff queue.
A person who may not see a request gets 404 for it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus, Organization

from . import permissions as sperms
from . import selectors, services
from .forms import AssignForm, NoteForm, QuoteForm, RequestForm
from .lifecycle import Actor, RequestState, TransitionNotAllowed
from .models import ServiceKind, ServiceQuote


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", [str(exc)]):
        messages.error(request, text)


def _request_or_404(request, pk: int):
    obj = selectors.request_for_user(user=request.user, pk=pk)
    if obj is None:
        raise Http404
    return obj


@login_required
@require_GET
def request_list(request):
    page = Paginator(selectors.requests_for_user(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "support/request_list.html", {"page_obj": page, "requests": page.object_list})


@login_required
def request_create(request):
    organizations = Organization.objects.filter(
        memberships__user=request.user, memberships__status=MembershipStatus.ACTIVE
    )
    initial = {"kind": request.GET.get("kind"), "deal": request.GET.get("deal")}
    form = RequestForm(request.POST or None, organizations=organizations, initial=initial)
    if request.method == "POST" and form.is_valid():
        from exchange.deals.selectors import deal_for_user

        deal = None
        if form.cleaned_data.get("deal"):
            deal = deal_for_user(user=request.user, pk=form.cleaned_data["deal"])
            if deal is None:
                form.add_error("deal", _("Không tìm thấy giao dịch."))
        if not form.errors:
            try:
                obj = services.service_request_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                    organization=form.cleaned_data.get("organization"),
                    deal=deal,
                )
            except (ValidationError, TransitionNotAllowed) as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Đã gửi yêu cầu. Sàn sẽ báo giá trong thời gian sớm nhất."))
                return redirect(obj)
    return render(request, "support/request_form.html", {"form": form})


@login_required
@require_GET
def request_detail(request, pk: int):
    obj = _request_or_404(request, pk)
    kinds = sperms.actor_kinds(request.user, obj)
    quotes = selectors.quotes_of(obj)
    current = next((q for q in quotes if q.superseded_at is None), None)
    # Payment of the accepted quote (#7) and the expert-valuation workspace, when there are any.
    from exchange.payments.selectors import payment_requests_for_quotes

    accepted = next((q for q in quotes if q.accepted_at and q.superseded_at is None), None)
    payment = payment_requests_for_quotes([accepted.pk]).get(accepted.pk) if accepted else None
    is_requester = Actor.REQUESTER in kinds
    can_pay = (
        is_requester
        and accepted is not None
        and obj.state in (RequestState.ACCEPTED, RequestState.IN_PROGRESS, RequestState.DELIVERED)
        and (payment is None or payment.is_payable or payment.status in ("cancelled", "refunded"))
    )
    valuation = getattr(obj, "valuation", None) if obj.kind == ServiceKind.VALUATION else None
    return render(
        request,
        "support/request_detail.html",
        {
            "obj": obj,
            "quotes": quotes,
            "current_quote": current,
            "is_requester": is_requester,
            "accepted_quote": accepted,
            "payment": payment,
            "can_pay": can_pay,
            "valuation": valuation,
            "is_worker": bool(kinds & {Actor.STAFF, Actor.ASSIGNEE}),
            "is_staff": Actor.STAFF in kinds,
            "quote_form": QuoteForm(),
            "assign_form": AssignForm() if Actor.STAFF in kinds else None,
            "note_form": NoteForm(),
        },
    )


@login_required
@require_POST
def request_action(request, pk: int, name: str):
    obj = _request_or_404(request, pk)
    user = request.user
    try:
        if name == "quote":
            form = QuoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng nhập đủ giá, thuế, nội dung và ngày hiệu lực."))
            services.service_request_quote(actor=user, request=obj, **form.cleaned_data)
        elif name == "accept_quote":
            quote = get_object_or_404(ServiceQuote, pk=request.POST.get("quote"), request=obj)
            services.service_request_accept_quote(actor=user, request=obj, quote=quote)
        elif name == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng chọn người được phân công."))
            services.service_request_assign(actor=user, request=obj, assignee=form.cleaned_data["assignee"])
        elif name == "start":
            services.service_request_start(actor=user, request=obj)
        elif name == "deliver":
            services.service_request_deliver(actor=user, request=obj, note=request.POST.get("note", ""))
        elif name == "decline":
            services.service_request_decline(actor=user, request=obj, reason=request.POST.get("note", ""))
        elif name == "cancel":
            services.service_request_cancel(actor=user, request=obj, reason=request.POST.get("note", ""))
        else:
            raise Http404
    except (ValidationError, TransitionNotAllowed) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã cập nhật yêu cầu."))
    return redirect(obj)


@login_required
@require_GET
def staff_queue(request):
    if not perms.is_staff(request.user):
        raise PermissionDenied
    state = request.GET.get("state") if request.GET.get("state") in RequestState.values else None
    kind = request.GET.get("kind") if request.GET.get("kind") in ServiceKind.values else None
    page = Paginator(selectors.staff_queue(state=state, kind=kind), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "support/staff_queue.html",
        {
            "page_obj": page,
            "requests": page.object_list,
            "states": RequestState.choices,
            "kinds": ServiceKind.choices,
            "state": state,
            "kind": kind,
        },
    )
