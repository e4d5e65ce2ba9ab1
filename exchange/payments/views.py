"""Payment pages: request and pay a milestone, the status page with the VietQR code, the card page, staff
lists, statement import, ledger; and the Stripe webhook. Thin: parse, call a service or selector, render.

Someone who may not see the deal gets 404 for every page of its payment requests, its assigned broker 403
until they accepted the deal's NDA; staff pages answer 403 to everyone else.
"""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts import permissions as perms
from exchange.deals import permissions as dperms
from exchange.deals import selectors as deal_selectors
from exchange.deals import services as deal_services
from exchange.deals.models import DealMilestone

from . import selectors, services
from .conf import stripe_csp_sources
from .forms import CancelForm, ConfirmReceiptForm, PayoutForm, StatementForm, StatusFilterForm
from .models import BankStatementImport
from .providers import ProviderRefused, ProviderUnavailable, get_provider
from .providers.bank_transfer import qr_svg

logger = logging.getLogger(__name__)


def _errors(request, exc) -> None:
    for text in getattr(exc, "messages", [str(exc)]):
        messages.error(request, text)


def _pr_or_404(request, reference: str):
    """The request for every page of it: 404 for whoever may not see its deal, 403 for the deal's assigned
    broker while their NDA is outstanding — amounts, the QR code, the card page and the invoice data
    are the deal's value, which the deal room keeps from them too (``can_view_confidential``)."""
    pr = selectors.payment_request_for_user(user=request.user, reference=reference)
    if pr is None:
        raise Http404
    if pr.deal_id and not dperms.can_view_confidential(request.user, pr.deal):
        raise PermissionDenied(deal_services.BROKER_NDA_FIRST)
    return pr


def _staff_only(request) -> None:
    if not perms.is_staff(request.user):
        raise PermissionDenied


@login_required
@require_POST
def request_payment(request, deal_pk: int, milestone_pk: int):
    deal = deal_selectors.deal_for_user(user=request.user, pk=deal_pk)
    if deal is None:
        raise Http404
    milestone = get_object_or_404(DealMilestone, pk=milestone_pk, deal=deal)
    try:
        pr = services.payment_request_create(actor=request.user, milestone=milestone)
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied):
            raise
        _errors(request, exc)
        return redirect(deal)
    messages.success(request, _("Đã gửi yêu cầu thanh toán %(ref)s.") % {"ref": pr.reference})
    return redirect(pr)


@login_required
@require_POST
def pay_service_quote(request, quote_pk: int):
    """“Thanh toán” on a support request: the live payment request of its accepted quote (made on first
    use), then its payment page. Someone who may not see the support request gets 404."""
    from exchange.support import selectors as support_selectors
    from exchange.support.models import ServiceQuote

    quote = get_object_or_404(ServiceQuote.objects.select_related("request"), pk=quote_pk)
    if support_selectors.request_for_user(user=request.user, pk=quote.request_id) is None:
        raise Http404
    try:
        pr = services.payment_request_for_service_quote(actor=request.user, quote=quote)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(quote.request)
    return redirect(pr)


@login_required
@require_GET
def detail(request, reference: str):
    pr = _pr_or_404(request, reference)
    is_staff = perms.is_staff(request.user)
    can_pay = services.can_pay_request(request.user, pr) and pr.is_payable
    bank = get_provider("bank_transfer").instructions(pr) if pr.is_payable else None
    card_refusal = get_provider("stripe").refusal(pr) if can_pay else None
    return render(
        request,
        "payments/detail.html",
        {
            "pr": pr,
            "deal": pr.deal,
            "service_request": pr.service_quote.request if pr.service_quote_id else None,
            "can_pay": can_pay,
            "bank": bank,
            "card_refusal": card_refusal,
            "is_staff": is_staff,
            "confirm_form": ConfirmReceiptForm(initial={"amount_vnd": pr.remaining_vnd})
            if is_staff
            else None,
            "cancel_form": CancelForm() if is_staff else None,
            "payments": list(pr.payments.all()),
            "refunds": list(pr.refunds.all()),
        },
    )


@login_required
@require_GET
def qr(request, reference: str):
    pr = _pr_or_404(request, reference)
    if not pr.is_payable:
        raise Http404
    svg = qr_svg(get_provider("bank_transfer").payload(pr))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def card(request, reference: str):
    """The card page: the PaymentIntent is created here, for our amount; Stripe.js collects the card."""
    pr = _pr_or_404(request, reference)
    if not services.can_pay_request(request.user, pr):
        raise PermissionDenied
    try:
        intent = services.stripe_payment_start(actor=request.user, payment_request=pr)
    except ProviderRefused as exc:
        _errors(request, exc)
        return redirect(pr)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(pr)
    except ProviderUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(pr)
    if intent.get("status") == "succeeded":
        return redirect(pr)
    response = render(
        request,
        "payments/card.html",
        {"pr": pr, "deal": pr.deal, "intent": intent, **get_provider("stripe").instructions(pr)},
    )
    # Only this page may load Stripe.js and its frames (django-csp adds these to the site's policy).
    response._csp_update = stripe_csp_sources()
    return response


@login_required
@require_POST
def card_confirm(request, reference: str):
    """JSON from the card page: ``payment_method`` (pm_…) or ``token`` (tok_…). Any amount sent is ignored."""
    pr = _pr_or_404(request, reference)
    if not services.can_pay_request(request.user, pr):
        raise PermissionDenied
    try:
        data = (
            json.loads(request.body or b"{}") if request.content_type == "application/json" else request.POST
        )
    except ValueError:
        return JsonResponse({"status": "failed", "message": _("Dữ liệu không hợp lệ.")}, status=400)
    try:
        result = services.stripe_payment_confirm(
            actor=request.user,
            payment_request=pr,
            payment_method=str(data.get("payment_method") or ""),
            token=str(data.get("token") or ""),
        )
    except ValidationError as exc:
        return JsonResponse({"status": "failed", "message": " ".join(exc.messages)}, status=400)
    except ProviderUnavailable as exc:
        response = JsonResponse({"status": "retry", "retryable": True, "message": str(exc)}, status=503)
        response["Retry-After"] = "30"
        return response
    result["redirect"] = pr.get_absolute_url()
    return JsonResponse(result)


@login_required
@require_POST
def confirm_receipt(request, reference: str):
    pr = _pr_or_404(request, reference)
    _staff_only(request)
    form = ConfirmReceiptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nhập số tiền và mã giao dịch ngân hàng."))
        return redirect(pr)
    try:
        services.payment_confirm_receipt(actor=request.user, payment_request=pr, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã ghi nhận khoản thanh toán."))
    return redirect(pr)


@login_required
@require_POST
def cancel(request, reference: str):
    pr = _pr_or_404(request, reference)
    _staff_only(request)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nêu lý do hủy."))
        return redirect(pr)
    try:
        services.payment_request_cancel(actor=request.user, payment_request=pr, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Đã hủy yêu cầu thanh toán."))
    return redirect(pr)


@login_required
@require_GET
def invoice(request, reference: str):
    """Invoice data of one request for the e-invoice provider: JSON, or ``?format=csv``. Parties and staff."""
    pr = _pr_or_404(request, reference)
    if request.GET.get("format") == "csv":
        queryset = selectors.invoice_queryset().filter(pk=pr.pk)
        response = HttpResponse(selectors.invoices_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="hoa-don-{pr.reference}.csv"'
        return response
    pr = selectors.invoice_queryset().filter(pk=pr.pk).first() or pr
    return JsonResponse(selectors.invoice_data(pr), json_dumps_params={"ensure_ascii": False})


# --- staff ----------------------------------------------------------------------------------------------
@login_required
@require_GET
def staff_list(request):
    _staff_only(request)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.payment_requests_for_staff(status=status), 30).get_page(
        request.GET.get("page")
    )
    unknown = Paginator(selectors.unknown_bank_lines(), 30).get_page(request.GET.get("lines"))
    return render(
        request,
        "payments/staff_list.html",
        {"page_obj": page, "requests": page.object_list, "filter_form": form, "unknown": unknown},
    )


@login_required
@require_GET
def invoices_export(request):
    _staff_only(request)
    response = HttpResponse(
        selectors.invoices_csv(selectors.invoice_queryset()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="hoa-don.csv"'
    return response


@login_required
def statement_import(request):
    _staff_only(request)
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = services.bank_statement_import(
                actor=request.user, data=upload.read(), filename=upload.name
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã nhập sao kê."))
            return redirect("payments:statement", pk=statement.pk)
    recent = BankStatementImport.objects.select_related("imported_by").order_by("-created_at")[:20]
    return render(request, "payments/statement_import.html", {"form": form, "recent": recent})


@login_required
@require_GET
def statement(request, pk: int):
    _staff_only(request)
    statement = get_object_or_404(BankStatementImport.objects.select_related("imported_by"), pk=pk)
    report = statement.report or {}
    sections = [
        (key, label, report.get(key, []))
        for key, label in (
            ("matched", _("Khớp đủ")),
            ("partial", _("Thanh toán một phần")),
            ("overpaid", _("Thanh toán thừa")),
            ("unknown", _("Không rõ mã thanh toán")),
            ("not_payable", _("Yêu cầu không còn nhận tiền")),
            ("duplicate", _("Trùng (bỏ qua)")),
            ("outgoing", _("Tiền ra")),
        )
    ]
    return render(request, "payments/statement.html", {"statement": statement, "sections": sections})


@login_required
def ledger(request):
    _staff_only(request)
    form = PayoutForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.payout_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Đã ghi nhận khoản chi trả."))
                return redirect("payments:ledger")
        else:
            messages.error(request, _("Vui lòng kiểm tra thông tin chi trả."))
    stripe_client = None
    if request.GET.get("stripe") == "1":
        from .providers.stripe_card import client

        stripe_client = client()
    try:
        recon = selectors.reconciliation(stripe_client=stripe_client)
    except Exception as exc:  # the provider being unreachable must not hide the ledger
        logger.warning("Stripe reconciliation failed: %s", exc)
        messages.error(request, _("Không đối soát được với Stripe: %(error)s") % {"error": exc})
        recon = selectors.reconciliation(stripe_client=None)
    return render(
        request,
        "payments/ledger.html",
        {"accounts": selectors.account_balances(), "recon": recon, "payout_form": form},
    )


# --- Stripe webhook (mounted outside the language prefix) -------------------------------------------
@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        outcome = services.stripe_webhook_handle(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except services.WebhookSignatureError:
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    except Exception:
        logger.exception("Stripe webhook processing failed")
        return HttpResponse("error", status=500, content_type="text/plain")
    return HttpResponse(outcome, status=200, content_type="text/plain")
