"""The portal: thin views over ``listings.services`` and the portal selectors.

Every view needs a signed-in user. A listing the user may not review answers 404 (whether it exists is
nobody else's business); a page of a role the user does not hold (the TTO queue) answers 403.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus, Organization, PlatformRole
from listings import permissions as lperms
from listings import services
from listings.lifecycle import (
    EDITABLE_STATES,
    REVISABLE_STATES,
    ListingState,
    NotPermitted,
    TransitionNotAllowed,
)
from listings.models import ListingAttachment, ListingImage, ListingKind, ListingRevision, RevisionStage
from listings.snapshots import listing_snapshot

from . import charts, selectors
from .completeness import completeness
from .forms import (
    AttachmentForm,
    ImageForm,
    ImportForm,
    IPRightFormSet,
    ListingForm,
    OptionalReasonForm,
    ReasonForm,
    ip_data,
    ip_initial,
    split_list,
)

logger = logging.getLogger(__name__)

PER_PAGE = 20
STATS_DAYS = 90
S = ListingState


# --- helpers ------------------------------------------------------------------------------------------
def _render(request, template: str, context: dict):
    """Render with what the portal navigation needs (which sections this user has)."""
    user = request.user
    context.setdefault("nav_is_tto", selectors.is_any_tto_manager(user))
    context.setdefault("nav_is_moderator", perms.is_moderator(user))
    return render(request, template, context)


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _listing_or_404(request, pk: int):
    listing = selectors.listing_for_portal(user=request.user, pk=pk)
    if listing is None:
        raise Http404
    return listing


def _require_editor(request, listing) -> None:
    if not lperms.can_edit(request.user, listing):
        raise PermissionDenied


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return fallback


def _apply_errors(form, error: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """A service's ValidationError onto the form: per field where the form has it, else on the form."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            name = aliases.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _error_text(error) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(m for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(getattr(error, "messages", [str(error)]))


def _with_portal_state(listings, user) -> list:
    """Attach what each row shows: completeness, the user's actions, the pending revision."""
    rows = selectors.prime_author_cache(listings)
    for listing in rows:
        listing.portal_completeness = completeness(listing)
        listing.portal_actions = selectors.available_actions_for(user, listing)
        listing.portal_pending = selectors.pending_revision(listing)
    return rows


# --- dashboard ----------------------------------------------------------------------------------------
@login_required
@require_GET
def dashboard(request):
    user = request.user
    memberships = selectors.active_memberships(user)
    managed = selectors.managed_organizations(user)
    recent = _with_portal_state(selectors.my_listings(user)[:5], user)
    expiring = _with_portal_state(selectors.my_listings_expiring(user, days=30)[:10], user)
    return _render(
        request,
        "portal/dashboard.html",
        {
            "memberships": memberships,
            "managed": managed,
            "counts": selectors.my_listing_counts(user),
            "recent": recent,
            "expiring": expiring,
            "queue_count": selectors.tto_queue_count(user) if managed else 0,
            "saved_count": selectors.saved_listings(user).count(),
            "is_business": user.has_role(PlatformRole.BUSINESS),
            "is_researcher": user.has_role(PlatformRole.RESEARCHER),
            "is_moderator": perms.is_moderator(user),
            "nav_is_tto": bool(managed),
        },
    )


# --- my listings --------------------------------------------------------------------------------------
@login_required
@require_GET
def my_listings(request):
    kind = request.GET.get("kind") or ""
    state = request.GET.get("state") or ""
    page = _page(request, selectors.my_listings(request.user, kind=kind, state=state))
    page.object_list = _with_portal_state(page.object_list, request.user)
    return _render(
        request,
        "portal/my_listings.html",
        {
            "page": page,
            "kind": kind,
            "state": state,
            "kinds": ListingKind.choices,
            "states": S.choices,
        },
    )


def _form_completeness(form, kind: str, *, listing=None, formset=None):
    """Completeness of what is being typed (valid parts of a bound form), with the saved media counts."""
    cleaned = getattr(form, "cleaned_data", None) or {}
    data = {}
    for name, value in cleaned.items():
        if name in ("keywords", "inventors"):
            data[name] = split_list(value)
        else:
            data[name] = value
    if formset is not None and getattr(formset, "forms", None):
        data["ip"] = [
            item
            for f in formset.forms
            if getattr(f, "cleaned_data", None) and (item := f.as_snapshot()) is not None
        ]
    images = len(listing.images.all()) if listing is not None else 0
    docs = len(getattr(listing, "public_attachments", [])) if listing is not None else 0
    return completeness(data, kind=kind, image_count=images, document_count=docs)


def _organizations_for(user):
    return (
        Organization.objects.filter(memberships__user=user, memberships__status=MembershipStatus.ACTIVE)
        .distinct()
        .order_by("name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_create(request, kind: str):
    if kind not in ListingKind.values:
        raise Http404
    organizations = _organizations_for(request.user)
    if not organizations.exists():
        return _render(request, "portal/no_organization.html", {"kind": kind})
    is_offer = kind == ListingKind.OFFER
    form = ListingForm(request.POST or None, kind=kind, organizations=organizations)
    formset = IPRightFormSet(request.POST or None, prefix="ip") if is_offer else None
    score = None
    if request.method == "POST":
        valid = form.is_valid() & (formset.is_valid() if formset is not None else True)
        if valid:
            data = form.listing_data()
            if formset is not None:
                data["ip"] = ip_data(formset)
            try:
                listing = services.listing_create(
                    actor=request.user,
                    kind=kind,
                    organization=form.cleaned_data["organization"],
                    data=data,
                )
            except NotPermitted as error:
                form.add_error("organization", str(error.message))
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Đã tạo bản nháp. Bổ sung ảnh, tài liệu rồi bấm “Gửi duyệt” khi đã sẵn sàng."),
                )
                return redirect("portal:listing_detail", pk=listing.pk)
        score = _form_completeness(form, kind, formset=formset)
    else:
        score = completeness({}, kind=kind)
    return _render(
        request,
        "portal/listing_form.html",
        {
            "form": form,
            "formset": formset,
            "kind": kind,
            "is_offer": is_offer,
            "score": score,
            "listing": None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request, pk: int):
    listing = _listing_or_404(request, pk)
    _require_editor(request, listing)
    if listing.state not in EDITABLE_STATES | REVISABLE_STATES:
        messages.error(
            request,
            _("Không thể sửa tin ở trạng thái “%(state)s”.") % {"state": listing.get_state_display()},
        )
        return redirect("portal:listing_detail", pk=listing.pk)
    is_offer = listing.kind == ListingKind.OFFER
    pending = selectors.pending_revision(listing)
    is_revision = listing.state in REVISABLE_STATES
    source = pending.data if (is_revision and pending is not None) else listing_snapshot(listing)
    form = ListingForm(
        request.POST or None, kind=listing.kind, initial=ListingForm.initial_from_snapshot(source)
    )
    formset = (
        IPRightFormSet(request.POST or None, prefix="ip", initial=ip_initial(source.get("ip")))
        if is_offer
        else None
    )
    if request.method == "POST":
        valid = form.is_valid() & (formset.is_valid() if formset is not None else True)
        if valid:
            data = form.listing_data()
            if formset is not None:
                data["ip"] = ip_data(formset)
            try:
                result = services.listing_update(actor=request.user, listing=listing, data=data)
            except TransitionNotAllowed as error:
                form.add_error(None, _error_text(error))
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                if isinstance(result, ListingRevision):
                    if result.stage == RevisionStage.TTO:
                        text = _(
                            "Đã gửi bản sửa cho bộ phận chuyển giao (TTO) duyệt. Tin đang đăng giữ nguyên "
                            "nội dung cũ cho đến khi bản sửa được duyệt."
                        )
                    else:
                        text = _(
                            "Đã gửi bản sửa cho kiểm duyệt viên. Tin đang đăng giữ nguyên nội dung cũ cho "
                            "đến khi bản sửa được duyệt."
                        )
                    messages.success(request, text)
                else:
                    messages.success(request, _("Đã lưu thay đổi."))
                return redirect("portal:listing_detail", pk=listing.pk)
        score = _form_completeness(form, listing.kind, listing=listing, formset=formset)
    else:
        score = completeness(
            source,
            kind=listing.kind,
            image_count=len(listing.images.all()),
            document_count=len(listing.public_attachments),
        )
    return _render(
        request,
        "portal/listing_form.html",
        {
            "form": form,
            "formset": formset,
            "kind": listing.kind,
            "is_offer": is_offer,
            "score": score,
            "listing": listing,
            "is_revision": is_revision,
            "pending": pending,
        },
    )


@login_required
@require_GET
def listing_detail(request, pk: int):
    listing = _listing_or_404(request, pk)
    user = request.user
    pending = selectors.pending_revision(listing)
    changes = selectors.revision_changes(pending, listing) if pending is not None else []
    can_edit = lperms.can_edit(user, listing)
    stats = selectors.listing_daily_stats(listing, days=STATS_DAYS)
    return _render(
        request,
        "portal/listing_detail.html",
        {
            "listing": listing,
            "actions": selectors.available_actions_for(user, listing),
            "score": completeness(listing),
            "pending": pending,
            "changes": changes,
            "can_edit": can_edit and listing.state in EDITABLE_STATES | REVISABLE_STATES,
            "can_media": can_edit and listing.state != S.ARCHIVED,
            "is_tto": lperms.is_org_tto_manager(user, listing),
            "attachments": selectors.listing_all_attachments(listing)
            if lperms.can_view_confidential(user, listing)
            else [],
            "images": listing.images.all(),
            "totals": {
                "views": sum(d.views for d in stats),
                "saves": sum(d.saves for d in stats),
                "inquiries": sum(d.inquiries for d in stats),
            },
            "stats_days": STATS_DAYS,
            "reason_form": ReasonForm(),
            "optional_reason_form": OptionalReasonForm(),
        },
    )


ACTION_MESSAGES = {
    "submit": gettext_lazy("Đã gửi duyệt."),
    "tto_approve": gettext_lazy("Đã duyệt; tin được chuyển cho kiểm duyệt viên của sàn."),
    "send_back": gettext_lazy("Đã trả lại tin cho tác giả kèm lý do."),
    "renew": gettext_lazy("Đã gia hạn tin."),
    "unpublish": gettext_lazy("Đã gỡ tin khỏi sàn."),
    "close": gettext_lazy("Đã đóng tin."),
    "archive": gettext_lazy("Đã lưu trữ tin."),
}


@login_required
@require_POST
def listing_action(request, pk: int, action: str):
    if action not in selectors.PORTAL_ACTIONS:
        raise Http404
    listing = _listing_or_404(request, pk)
    actor = request.user
    fallback = reverse("portal:listing_detail", args=[listing.pk])
    try:
        if action == "submit":
            services.listing_submit(actor=actor, listing=listing)
        elif action == "tto_approve":
            services.listing_tto_approve(actor=actor, listing=listing)
        elif action == "send_back":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng nêu lý do trả lại."))
            services.listing_send_back(actor=actor, listing=listing, reason=form.cleaned_data["reason"])
        elif action == "renew":
            services.listing_renew(actor=actor, listing=listing)
        elif action == "unpublish":
            services.listing_unpublish(actor=actor, listing=listing, reason=request.POST.get("reason", ""))
        elif action == "close":
            services.listing_close(actor=actor, listing=listing, reason=request.POST.get("reason", ""))
        elif action == "archive":
            services.listing_archive(actor=actor, listing=listing)
    except NotPermitted as error:
        raise PermissionDenied(str(error.message)) from error
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(fallback)
    except DatabaseError:
        # The transition is one transaction, so a lost connection or lock timeout left the listing as
        # it was: tell the person so (instead of the generic 500 page) and keep the traceback for us.
        logger.exception("listing %s: database error during action %r", listing.pk, action)
        messages.error(
            request, _("Không lưu được thay đổi do lỗi cơ sở dữ liệu; chưa có gì thay đổi. Vui lòng thử lại.")
        )
        return redirect(fallback)
    messages.success(request, ACTION_MESSAGES[action])
    if action == "archive":
        fallback = reverse("portal:my_listings")
    return redirect(_next_or(request, fallback))


@login_required
@require_POST
def revision_action(request, pk: int, action: str):
    if action not in ("tto_approve", "reject"):
        raise Http404
    revision = get_object_or_404(ListingRevision.objects.select_related("listing"), pk=pk)
    listing = _listing_or_404(request, revision.listing_id)
    fallback = reverse("portal:listing_detail", args=[listing.pk])
    try:
        if action == "tto_approve":
            services.revision_tto_approve(actor=request.user, revision=revision)
            messages.success(request, _("Đã duyệt bản sửa; bản sửa được chuyển cho kiểm duyệt viên của sàn."))
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Vui lòng nêu lý do từ chối."))
            services.revision_reject(
                actor=request.user, revision=revision, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Đã từ chối bản sửa; tin đang đăng giữ nguyên."))
    except NotPermitted as error:
        raise PermissionDenied(str(error.message)) from error
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect(_next_or(request, fallback))


# --- media --------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def listing_media(request, pk: int):
    listing = _listing_or_404(request, pk)
    _require_editor(request, listing)
    attachment_form = AttachmentForm(prefix="att")
    image_form = ImageForm(prefix="img")
    if request.method == "POST":
        which = request.POST.get("which")
        try:
            if which == "attachment":
                attachment_form = AttachmentForm(request.POST, request.FILES, prefix="att")
                if attachment_form.is_valid():
                    cd = attachment_form.cleaned_data
                    services.listing_attachment_add(
                        actor=request.user,
                        listing=listing,
                        file=cd["file"],
                        confidential=cd["confidential"],
                        title=cd["title"],
                        language=cd["language"],
                    )
                    messages.success(request, _("Đã tải lên tài liệu."))
                    return redirect("portal:listing_media", pk=listing.pk)
            elif which == "image":
                image_form = ImageForm(request.POST, request.FILES, prefix="img")
                if image_form.is_valid():
                    cd = image_form.cleaned_data
                    services.listing_image_add(
                        actor=request.user,
                        listing=listing,
                        file=cd["image"],
                        caption=cd["caption"],
                        position=len(listing.images.all()),
                    )
                    messages.success(request, _("Đã tải lên ảnh."))
                    return redirect("portal:listing_media", pk=listing.pk)
            else:
                raise Http404
        except NotPermitted as error:
            raise PermissionDenied(str(error.message)) from error
        except TransitionNotAllowed as error:
            messages.error(request, _error_text(error))
        except ValidationError as error:
            if which == "attachment":
                _apply_errors(attachment_form, error)
            else:
                _apply_errors(image_form, error)
    return _render(
        request,
        "portal/listing_media.html",
        {
            "listing": listing,
            "attachment_form": attachment_form,
            "image_form": image_form,
            "attachments": selectors.listing_all_attachments(listing),
            "images": listing.images.all(),
            "is_live": listing.state == S.PUBLISHED,
        },
    )


@login_required
@require_POST
def media_remove(request, pk: int, which: str, item_pk: int):
    listing = _listing_or_404(request, pk)
    _require_editor(request, listing)
    try:
        if which == "attachment":
            item = get_object_or_404(ListingAttachment, pk=item_pk, listing=listing)
            services.listing_attachment_remove(actor=request.user, attachment=item)
        elif which == "image":
            item = get_object_or_404(ListingImage, pk=item_pk, listing=listing)
            services.listing_image_remove(actor=request.user, image=item)
        else:
            raise Http404
    except NotPermitted as error:
        raise PermissionDenied(str(error.message)) from error
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Đã xóa."))
    return redirect("portal:listing_media", pk=listing.pk)


# --- statistics ---------------------------------------------------------------------------------------
@login_required
@require_GET
def listing_stats(request, pk: int):
    listing = _listing_or_404(request, pk)
    series = selectors.listing_daily_stats(listing, days=STATS_DAYS)
    metrics = [
        ("views", _("Lượt xem"), "#0b5394"),
        ("saves", _("Lượt lưu"), "#276749"),
        ("inquiries", _("Lượt quan tâm"), "#c2410c"),
    ]
    chart_list = []
    for key, label, color in metrics:
        points = [(d.date, getattr(d, key)) for d in series]
        total = sum(v for _d, v in points)
        chart_list.append(
            {
                "key": key,
                "label": label,
                "total": total,
                "svg": charts.bar_chart_svg(
                    points,
                    title=_("%(label)s theo ngày, %(days)s ngày gần nhất")
                    % {"label": label, "days": STATS_DAYS},
                    description=_("Tổng cộng %(total)s.") % {"total": total},
                    color=color,
                    chart_id=f"chart-{key}",
                ),
            }
        )
    return _render(
        request,
        "portal/listing_stats.html",
        {
            "listing": listing,
            "charts": chart_list,
            "series": [d for d in reversed(series) if d.views or d.saves or d.inquiries],
            "stats_days": STATS_DAYS,
        },
    )


# --- TTO managers -------------------------------------------------------------------------------------
def _require_tto(request) -> list[Organization]:
    managed = selectors.managed_organizations(request.user)
    if not managed:
        raise PermissionDenied
    return managed


@login_required
@require_GET
def tto_queue(request):
    managed = _require_tto(request)
    listings, revisions = selectors.tto_queue(request.user)
    for listing in listings:
        listing.portal_completeness = completeness(listing)
    return _render(
        request,
        "portal/tto_queue.html",
        {
            "managed": managed,
            "listings": listings,
            "revisions": revisions,
            "reason_form": ReasonForm(),
            "nav_is_tto": True,
        },
    )


def _managed_organization_or_error(request, pk: int) -> Organization:
    organization = selectors.organization_for_manager(user=request.user, pk=pk)
    if organization is None:
        if Organization.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return organization


@login_required
@require_GET
def organization_portfolio(request, pk: int):
    organization = _managed_organization_or_error(request, pk)
    state = request.GET.get("state") or ""
    page = _page(request, selectors.organization_listings(organization, state=state))
    page.object_list = _with_portal_state(page.object_list, request.user)
    counts = selectors.organization_state_counts(organization)
    return _render(
        request,
        "portal/portfolio.html",
        {
            "organization": organization,
            "page": page,
            "state": state,
            "states": [(value, label, counts.get(value, 0)) for value, label in S.choices],
            "total": sum(counts.values()),
            "totals": selectors.organization_stat_totals(organization, days=STATS_DAYS),
            "stats_days": STATS_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulk_import(request):
    from listings.importing import ImportFailed, ImportFileError, import_records, read_records

    managed = _require_tto(request)
    organizations = Organization.objects.filter(pk__in=[o.pk for o in managed]).order_by("name")
    form = ImportForm(request.POST or None, request.FILES or None, organizations=organizations)
    report = None
    file_errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        organization = form.cleaned_data["organization"]
        try:
            records = read_records(upload, upload.name)
        except ImportFileError as error:
            file_errors = error.errors
        else:
            try:
                report = import_records(records, actor=request.user, organization=organization)
            except PermissionDenied as error:
                form.add_error("organization", str(error))
            except ImportFailed:
                messages.error(
                    request, _("Lỗi cơ sở dữ liệu khi nhập; chưa có tin nào được nhập. Vui lòng thử lại.")
                )
            else:
                if report.ok:
                    messages.success(
                        request,
                        _("Đã nhập %(total)s tin cho %(org)s.")
                        % {"total": report.total, "org": organization.name},
                    )
                else:
                    messages.error(request, _("Tệp có lỗi; chưa có tin nào được nhập."))
    return _render(
        request,
        "portal/import.html",
        {"form": form, "report": report, "file_errors": file_errors, "nav_is_tto": True},
    )


@login_required
@require_GET
def import_template(request):
    from listings.importing import build_xlsx_template

    _require_tto(request)
    response = HttpResponse(
        build_xlsx_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="mau-nhap-cong-nghe.xlsx"'
    return response


# --- businesses ---------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def saved_listings(request):
    if request.method == "POST":
        saved = get_object_or_404(
            selectors.saved_listings(request.user), listing_id=request.POST.get("listing")
        )
        services.listing_unsave(user=request.user, listing=saved.listing)
        messages.success(request, _("Đã bỏ lưu tin."))
        return redirect("portal:saved")
    page = _page(request, selectors.saved_listings(request.user))
    return _render(request, "portal/saved.html", {"page": page})
