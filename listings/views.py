"""Listing views: the public site (technologies, requests, organisations, experts) and file downloads.

Views stay thin: a selector reads, a form validates filters, a service writes (saving, view counts).
Every list and detail page runs a fixed number of queries however many listings exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization

from . import permissions as lperms
from . import selectors, services
from .lifecycle import PUBLIC_STATES, TransitionNotAllowed
from .models import ListingKind
from .public_forms import ExpertFilterForm, ListingFilterForm, RequestFilterForm

PAGE_SIZE = 12


@require_GET
def attachment_download(request, pk: int):
    """Stream an attachment. Anyone not allowed gets 404, so a confidential file's existence stays hidden."""
    attachment = selectors.attachment_for_download(user=request.user, pk=pk)
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    services.listing_attachment_record_view(actor=request.user, attachment=attachment)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    if attachment.confidential:
        response["Cache-Control"] = "private, no-store"
    else:
        response["Cache-Control"] = "public, max-age=3600"
    return response


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _list(request, *, kind: str, form_class, template: str):
    form = form_class(request.GET or None)
    queryset = form.apply(selectors.listings_published(kind=kind))
    page = _page(request, queryset)
    return render(
        request,
        template,
        {
            "form": form,
            "page_obj": page,
            "listings": page.object_list,
            "filtered": any(v not in ("", None) for k, v in request.GET.items() if k != "page"),
        },
    )


@require_GET
def technology_list(request):
    return _list(
        request,
        kind=ListingKind.OFFER,
        form_class=ListingFilterForm,
        template="listings/public/technology_list.html",
    )


@require_GET
def request_list(request):
    return _list(
        request,
        kind=ListingKind.REQUEST,
        form_class=RequestFilterForm,
        template="listings/public/request_list.html",
    )


def _visible_listing(request, pk: int, kind: str):
    """The listing if this visitor may see it (published, or an owner/moderator previewing), else 404."""
    listing = selectors.listing_public_detail(pk)
    if listing is None or not lperms.can_view(request.user, listing):
        raise Http404
    if listing.kind != kind:
        return listing, redirect(listing.get_absolute_url(), permanent=True)
    return listing, None


def _detail(request, pk: int, *, kind: str, template: str):
    listing, wrong_kind = _visible_listing(request, pk, kind)
    if wrong_kind:
        return wrong_kind
    is_public = listing.state in PUBLIC_STATES
    if is_public:
        services.listing_record_view(listing_id=listing.pk, user=request.user)
    user = request.user
    context = {
        "listing": listing,
        "is_preview": not is_public,
        "is_saved": bool(selectors.saved_listing_ids(user, [listing.pk])),
        # Anonymous requests hide the organisation from everyone but the people behind them.
        "show_organization": not listing.anonymous or lperms.can_review(user, listing),
        "ip_rights": list(listing.ip_rights.all()),
        "images": list(listing.images.all()),
        "attachments": listing.public_attachments,
    }
    return render(request, template, context)


@require_GET
def technology_detail(request, pk: int):
    return _detail(request, pk, kind=ListingKind.OFFER, template="listings/public/technology_detail.html")


@require_GET
def request_detail(request, pk: int):
    return _detail(request, pk, kind=ListingKind.REQUEST, template="listings/public/request_detail.html")


def _published_or_404(pk: int):
    listing = selectors.listings_public().filter(pk=pk).first()
    if listing is None:
        raise Http404
    return listing


def _back(request, listing):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(listing.get_absolute_url())


@require_POST
@login_required
def save_toggle(request, pk: int):
    """Save or unsave (``action=save|unsave``); a plain form post, so it works without JavaScript."""
    listing = _published_or_404(pk)
    try:
        if request.POST.get("action") == "unsave":
            services.listing_unsave(user=request.user, listing=listing)
            messages.success(request, _("Đã bỏ lưu tin."))
        else:
            services.listing_save(user=request.user, listing=listing)
            messages.success(request, _("Đã lưu tin. Xem lại trong trang cá nhân của bạn."))
    except TransitionNotAllowed as exc:
        messages.error(request, exc.messages[0])
    return _back(request, listing)


@login_required
def express_interest(request, pk: int):
    """The entry point of the deal room: the inquiry form of exchange.deals."""
    listing = _published_or_404(pk)
    return redirect("deals:inquire", listing_pk=listing.pk)


@require_GET
def organization_detail(request, ref: str):
    organization = get_object_or_404(Organization.objects.select_related("kind", "province"), ref=ref)
    page = _page(request, selectors.organization_portfolio(organization))
    return render(
        request,
        "listings/public/organization_detail.html",
        {"organization": organization, "page_obj": page, "listings": page.object_list},
    )


@require_GET
def expert_list(request):
    form = ExpertFilterForm(request.GET or None)
    page = _page(request, form.apply(selectors.experts_public()))
    return render(
        request,
        "listings/public/expert_list.html",
        {"form": form, "page_obj": page, "experts": page.object_list},
    )


@require_GET
def expert_detail(request, slug: str):
    from .models import ExpertProfile

    profile = (
        ExpertProfile.objects.select_related("user", "organization")
        .prefetch_related("expertise_fields__parent")
        .filter(slug=slug)
        .first()
    )
    if profile is None:
        raise Http404
    is_self = perms.is_authenticated(request.user) and request.user.pk == profile.user_id
    if not (profile.public and profile.user.is_active) and not is_self:
        raise Http404
    page = _page(request, selectors.expert_listings(profile))
    return render(
        request,
        "listings/public/expert_detail.html",
        {
            "profile": profile,
            "is_preview": not profile.public,
            "page_obj": page,
            "listings": page.object_list,
        },
    )
