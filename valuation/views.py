"""The valuation workspace in the portal (``/portal/valuations/…``): thin views over the services.

Every page needs a signed-in user; a valuation the user may not see answers 404, an action the user may
not take on one they see answers 403.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from exchange.core.statemachine import NotPermitted, WrongState
from exchange.deals.lifecycle import MESSAGE_STATES
from exchange.deals.selectors import deals_for_user
from exchange.portal.views import _render
from listings.models import ScienceField
from listings.selectors import listings_of_user

from . import permissions as vperms
from . import selectors, services
from .forms import ComparableForm, InputsForm, PublishForm, ShareForm, ValuationCreateForm, VersionNoteForm
from .models import ValuationReport
from .pdf import PdfUnavailable, valuation_pdf
from .report import REPORT_CSP, render_report_html, report_context

PER_PAGE = 20


def _valuation_or_404(request, pk: int):
    valuation = selectors.valuation_for_user(user=request.user, pk=pk)
    if valuation is None:
        raise Http404
    return valuation


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def valuation_list(request):
    page = Paginator(selectors.valuations_for_user(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return _render(
        request,
        "valuation/list.html",
        {"page": page, "is_appraiser": vperms.can_enter_comparables(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def valuation_create(request):
    listings = listings_of_user(request.user).order_by("-updated_at")
    form = ValuationCreateForm(request.POST or None, listings=listings)
    if request.method == "POST" and form.is_valid():
        try:
            valuation = services.valuation_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                methods=form.cleaned_data["methods"],
                listing=form.cleaned_data["listing"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            return redirect("valuation:detail", valuation.pk)
    return _render(request, "valuation/create.html", {"form": form})


def _market_comparables(valuation):
    """Appraiser-entered comparables and those from consented deals on the exchange, same filters."""
    inputs = valuation.inputs.get("market") or {}
    trl_min, trl_max = inputs.get("trl_min"), inputs.get("trl_max")
    filters = {
        "field_code": inputs.get("field_code") or "",
        "trl_min": trl_min if isinstance(trl_min, int) else None,
        "trl_max": trl_max if isinstance(trl_max, int) else None,
        "transaction_type": inputs.get("transaction_type") or "",
    }
    return [
        *selectors.comparables_matching(**filters)[: selectors.MAX_COMPARABLES],
        *selectors.deal_comparables_matching(**filters),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def valuation_detail(request, pk: int):
    """The workspace: the inputs of every chosen method, the results side by side, versions and actions."""
    valuation = _valuation_or_404(request, pk)
    can_edit = vperms.can_edit(request.user, valuation)
    form = InputsForm(request.POST or None, methods=valuation.methods, inputs=valuation.inputs)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            services.valuation_update(actor=request.user, valuation=valuation, inputs=form.parsed)
            messages.success(request, _("Đã cập nhật dữ liệu và tính lại."))
            return redirect("valuation:detail", valuation.pk)
    versions = list(selectors.versions_of(valuation))
    context = {
        "valuation": valuation,
        "form": form,
        "can_edit": can_edit,
        "can_share": vperms.can_share(request.user, valuation),
        "can_publish": vperms.can_publish(request.user, valuation),
        "can_assign": vperms.can_assign_appraiser(request.user),
        "versions": versions,
        "reports": list(valuation.reports.all()),
        "version_form": VersionNoteForm(),
        "comparables": _market_comparables(valuation) if "market" in valuation.methods else [],
        **report_context(methods=valuation.methods, inputs=valuation.inputs, results=valuation.results),
    }
    if context["can_publish"] and versions:
        context["publish_form"] = PublishForm(versions=selectors.versions_of(valuation))
    if context["can_assign"]:
        context["appraisers"] = (
            get_user_model().objects.filter(roles__code="appraiser").order_by("full_name")[:200]
        )
    return _render(request, "valuation/detail.html", context)


@login_required
@require_POST
def version_save(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    form = VersionNoteForm(request.POST)
    form.is_valid()
    version = services.valuation_save_version(
        actor=request.user, valuation=valuation, note=form.cleaned_data.get("note", "")
    )
    messages.success(request, _("Đã lưu phiên bản %(n)s.") % {"n": version.number})
    return redirect("valuation:detail", valuation.pk)


@login_required
def version_compare(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    versions = {v.number: v for v in selectors.versions_of(valuation)}
    try:
        a, b = versions[int(request.GET.get("a", 0))], versions[int(request.GET.get("b", 0))]
    except (KeyError, ValueError) as exc:
        raise Http404 from exc
    columns = []
    for version in (a, b):
        ctx = report_context(methods=version.methods, inputs=version.inputs, results=version.results)
        columns.append({"version": version, **ctx})
    methods = [m for m in dict.fromkeys([*a.methods, *b.methods])]
    table = []
    for method in methods:
        cells = []
        for col in columns:
            row = next((r for r in col["rows"] if r["method"] == method), None)
            cells.append(row)
        table.append({"method": method, "label": (cells[0] or cells[1])["label"], "cells": cells})
    return _render(
        request, "valuation/compare.html", {"valuation": valuation, "columns": columns, "table": table}
    )


def _language(request) -> str:
    return request.GET.get("lang") if request.GET.get("lang") in ("vi", "en") else "vi"


def _version_for(request, valuation):
    versions = selectors.versions_of(valuation)
    number = request.GET.get("version")
    version = versions.filter(number=number).first() if number and number.isdigit() else versions.first()
    if version is None:
        raise Http404
    return version


@login_required
@csp_update(REPORT_CSP)
def report_html(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    version = _version_for(request, valuation)
    return HttpResponse(render_report_html(valuation=valuation, version=version, language=_language(request)))


@login_required
def report_pdf(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    version = _version_for(request, valuation)
    try:
        data = valuation_pdf(valuation=valuation, version=version, language=_language(request))
    except PdfUnavailable as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dinh-gia-{valuation.pk}-v{version.number}.pdf"'
    return response


@login_required
@csp_update(REPORT_CSP)
def published_report(request, pk: int, fmt: str = "html"):
    report = get_object_or_404(ValuationReport.objects.select_related("valuation", "version"), pk=pk)
    if not vperms.can_view(request.user, report.valuation):
        raise Http404
    if fmt == "pdf":
        try:
            data = valuation_pdf(
                valuation=report.valuation, version=report.version, language=report.language, report=report
            )
        except PdfUnavailable as exc:  # no fpdf2 or font here: 404 like report_pdf, never a 500
            raise Http404 from exc
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="bao-cao-tham-dinh-{report.pk}.pdf"'
        return response
    response = HttpResponse(report.content_html)
    response["X-Content-SHA256"] = report.sha256
    return response


@login_required
@require_http_methods(["GET", "POST"])
def share(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    if not vperms.can_share(request.user, valuation):
        raise PermissionDenied
    deals = deals_for_user(request.user).filter(state__in=MESSAGE_STATES)
    form = ShareForm(request.POST or None, deals=deals, versions=selectors.versions_of(valuation))
    if request.method == "POST" and form.is_valid():
        deal = form.cleaned_data["deal"]
        try:
            services.valuation_share_to_deal(
                actor=request.user,
                valuation=valuation,
                version=form.cleaned_data["version"],
                deal=deal,
                language=form.cleaned_data["language"],
            )
        except (NotPermitted, WrongState, PermissionDenied) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã chia sẻ vào phòng giao dịch."))
            return redirect("deals:room", deal.pk)
    return _render(request, "valuation/share.html", {"valuation": valuation, "form": form})


@login_required
@require_POST
def publish(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    if not vperms.can_publish(request.user, valuation):
        raise PermissionDenied
    form = PublishForm(request.POST, versions=selectors.versions_of(valuation))
    if form.is_valid():
        try:
            report = services.valuation_publish_report(
                actor=request.user,
                valuation=valuation,
                version=form.cleaned_data["version"],
                opinion=form.cleaned_data["opinion"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        except NotPermitted as exc:  # the support request is no longer this appraiser's to deliver
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Đã công bố báo cáo thẩm định (SHA-256 %(h)s…).") % {"h": report.sha256[:12]}
            )
    else:
        messages.error(request, _("Chọn phiên bản để công bố."))
    return redirect("valuation:detail", valuation.pk)


@login_required
@require_POST
def assign_appraiser(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    if not vperms.can_assign_appraiser(request.user):
        raise PermissionDenied
    appraiser = get_user_model().objects.filter(pk=request.POST.get("appraiser") or 0).first()
    if appraiser is None:
        messages.error(request, _("Chọn thẩm định viên."))
    else:
        try:
            services.valuation_assign_appraiser(actor=request.user, valuation=valuation, appraiser=appraiser)
            messages.success(request, _("Đã phân công thẩm định viên."))
        except ValidationError as exc:
            _errors(request, exc)
    return redirect("valuation:detail", valuation.pk)


@login_required
@require_POST
def delete(request, pk: int):
    valuation = _valuation_or_404(request, pk)
    if not vperms.can_delete(request.user, valuation):
        raise PermissionDenied
    try:
        services.valuation_delete(actor=request.user, valuation=valuation)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("valuation:detail", pk)
    messages.success(request, _("Đã xóa định giá."))
    return redirect("valuation:list")


@login_required
@require_http_methods(["GET", "POST"])
def comparables(request):
    """Comparables for the market approach; appraisers and staff enter them, everyone signed in reads."""
    may_enter = vperms.can_enter_comparables(request.user)
    form = ComparableForm(request.POST or None)
    if request.method == "POST":
        if not may_enter:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            field = (
                ScienceField.objects.filter(code=data["field_code"]).first() if data["field_code"] else None
            )
            if data["field_code"] and field is None:
                form.add_error("field_code", _("Không có lĩnh vực mã này."))
            else:
                try:
                    services.comparable_create(
                        actor=request.user,
                        title=data["title"],
                        value_vnd=data["value_vnd"],
                        year=data["year"],
                        field=field,
                        trl=data["trl"],
                        transaction_type=data["transaction_type"],
                        source_note=data["source_note"],
                    )
                except ValidationError as exc:
                    _errors(request, exc)
                else:
                    messages.success(request, _("Đã thêm giao dịch so sánh."))
                    return redirect("valuation:comparables")
    q = request.GET
    trl = q.get("trl", "")
    filters = {
        "field_code": q.get("field", "").strip(),
        "trl_min": int(trl) if trl.isdigit() else None,
        "trl_max": int(trl) if trl.isdigit() else None,
        "transaction_type": q.get("type", ""),
    }
    page = Paginator(selectors.comparables_matching(**filters), PER_PAGE).get_page(q.get("page"))
    return _render(
        request,
        "valuation/comparables.html",
        {
            "page": page,
            "deal_rows": selectors.deal_comparables_matching(**filters),
            "form": form if may_enter else None,
        },
    )
