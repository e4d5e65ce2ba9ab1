"""People's pages for inquiries on federated listings (mounted under ``/<lang>/portal/federation/``).

Who sees what: a forwarded inquiry is visible to the members of the organisation that sent it; an
incoming inquiry to the members of the organisation whose listing it is (its TTO managers, signatories
and the listing's creator may answer it). Anyone else gets 404; staff see both.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts import permissions as perms
from listings.lifecycle import PUBLIC_STATES
from listings.models import Listing

from . import inquiries
from .forms import DecisionForm, ForwardInquiryForm
from .models import Peer

PER_PAGE = 20


def _render(request, template: str, context: dict):
    from exchange.portal.selectors import is_any_tto_manager

    context.setdefault("nav_is_tto", is_any_tto_manager(request.user))
    context.setdefault("nav_is_moderator", perms.is_moderator(request.user))
    return render(request, template, context)


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, text)


@login_required
def inquire(request, listing_pk: int):
    """Send interest in a federated listing to its origin exchange ("Gửi quan tâm tới sàn gốc")."""
    listing = get_object_or_404(
        Listing.objects.select_related("organization"), pk=listing_pk, state__in=PUBLIC_STATES
    )
    if listing.origin == settings.EXCHANGE_ORIGIN:
        return redirect("deals:inquire", listing_pk=listing.pk)
    organizations = inquiries.verified_organizations(request.user)
    form = ForwardInquiryForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            inquiry = inquiries.forwarded_inquiry_create(
                actor=request.user,
                listing=listing,
                organization=form.cleaned_data["organization"],
                message=form.cleaned_data["message"],
                share_email=form.cleaned_data["share_email"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã gửi quan tâm tới sàn gốc. Trạng thái được cập nhật tại đây."))
            return redirect("federation:sent_detail", pk=inquiry.pk)
    peer = Peer.objects.filter(origin=listing.origin).only("name", "active").first()
    return _render(
        request,
        "regional_network/inquire.html",
        {
            "listing": listing,
            "form": form,
            "peer": peer,
            "has_organization": organizations.exists(),
        },
    )


@login_required
@require_GET
def inquiry_list(request):
    sent = Paginator(inquiries.forwarded_for_user(request.user), PER_PAGE).get_page(request.GET.get("sent"))
    received = Paginator(inquiries.incoming_for_user(request.user), PER_PAGE).get_page(
        request.GET.get("received")
    )
    return _render(request, "regional_network/inquiry_list.html", {"sent": sent, "received": received})


@login_required
@require_GET
def sent_detail(request, pk: int):
    inquiry = inquiries.forwarded_get(request.user, pk)
    if inquiry is None:
        raise Http404
    return _render(request, "regional_network/sent_detail.html", {"inquiry": inquiry})


@login_required
@require_GET
def received_detail(request, pk: int):
    inquiry = inquiries.incoming_get(request.user, pk)
    if inquiry is None:
        raise Http404
    return _render(
        request,
        "regional_network/received_detail.html",
        {
            "inquiry": inquiry,
            "can_decide": inquiry.status == "received"
            and inquiries.can_decide_incoming(request.user, inquiry),
            "form": DecisionForm(),
        },
    )


@login_required
@require_POST
def received_decide(request, pk: int, decision: str):
    if decision not in ("accept", "decline"):
        raise Http404
    inquiry = inquiries.incoming_get(request.user, pk)
    if inquiry is None:
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            inquiries.incoming_inquiry_decide(
                actor=request.user,
                inquiry=inquiry,
                accept=decision == "accept",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _("Đã chấp nhận; sàn của bên quan tâm sẽ được báo lại.")
                if decision == "accept"
                else _("Đã từ chối; sàn của bên quan tâm sẽ được báo lại."),
            )
    else:
        _errors(request, ValidationError(form.errors.get("reason") or _("Dữ liệu không hợp lệ.")))
    return redirect("federation:received_detail", pk=inquiry.pk)
