"""Listing views: the public site (technologies, requests, organisations, experts) and file downloads.

Views stay thin: a selector reads, a form validates filters, a service writes (saving, view counts).
Every list and detail page runs a fixed number of queries however many listings exist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus, Organization

from . import cache as listings_cache
from . import permissions as lperms
from . import selectors, services
from .lifecycle import PUBLIC_STATES, TransitionNotAllowed
from .models import ListingKind
from .public_forms import ExpertFilterForm, ListingFilterForm, RequestFilterForm
from .search import InvalidQuery, SearchResult, get_backend, search_listings
from .search.base import PRICE_BANDS_BY_CODE

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


class _Found:
    """One page of search hits as Django's paginator sees a list: the total, and the page's listings for
    whatever slice it asks (the search already cut the page)."""

    def __init__(self, total: int, items: list):
        self.total, self.items = total, items

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.items


def _search_available() -> bool:
    """Whether the search service answers here (the database backend needs SQLite for now)."""
    return getattr(get_backend(), "available", lambda: True)()


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


#: The facets of the "Lọc nhanh" box, in order: facet name → the filter parameters a value sets.
FACET_PARAMS = {
    "field": lambda v: {"field": v},
    "trl": lambda v: {"trl_min": v, "trl_max": v},
    "province": lambda v: {"province": v},
    "organization": lambda v: {"org": v},
    "origin": lambda v: {"origin": v},
    "price_band": lambda v: {
        "price_min": PRICE_BANDS_BY_CODE[v].low,
        "price_max": PRICE_BANDS_BY_CODE[v].high - 1 if PRICE_BANDS_BY_CODE[v].high else None,
    },
}


def _facet_groups(request, form, result: SearchResult) -> list[dict]:
    """The "Lọc nhanh" box: per facet its values with counts and a link adding that filter."""
    titles = {
        "field": _("Lĩnh vực"),
        "trl": "TRL",
        "province": _("Tỉnh/thành phố"),
        "organization": _("Tổ chức"),
        "price_band": _("Khoảng giá"),
        "origin": _("Sàn gốc"),
    }
    groups = []
    for name, params_of in FACET_PARAMS.items():
        if name == "price_band" and "price_min" not in form.fields:
            continue
        values = []
        for value in result.facets.get(name, []):
            if name == "price_band" and value.value not in PRICE_BANDS_BY_CODE:
                continue
            query = request.GET.copy()
            query.pop("page", None)
            params = params_of(value.value)
            active = all(query.get(k, "") == ("" if v is None else str(v)) for k, v in params.items())
            for key, param in params.items():
                if param is None:
                    query.pop(key, None)
                else:
                    query[key] = str(param)
            values.append(
                {"label": value.label, "count": value.count, "url": "?" + query.urlencode(), "active": active}
            )
        if values:
            groups.append({"name": name, "title": titles[name], "values": values})
    return groups


def _searched(request, form, *, number: int):
    """One page ranked by the search service: ``(page, facets, key)``, or ``None`` when the query is
    refused. The page's listings are loaded in one query in hit order, each with ``search_highlights``
    (escaped HTML with <mark>), and the facet links are built, only when the template renders them:
    ``key`` names the rendered results in the fragment cache (the request, the page number and what the
    search answered), so a repeated search renders from the cache without loading its listings again."""
    language = getattr(request, "LANGUAGE_CODE", "vi") or "vi"
    try:
        result = search_listings(form.search_query(page=number, page_size=PAGE_SIZE, language=language))
        last = max(1, -(-result.total // PAGE_SIZE))
        if number > last:  # past the end: the last page, as the paginator would
            number = last
            result = search_listings(form.search_query(page=number, page_size=PAGE_SIZE, language=language))
    except InvalidQuery:
        return None
    built = _SearchPage(request, form, result, number)
    key = None
    if settings.SEARCH_CACHE_SECONDS > 0:  # no cached answers (tests counting the work): no cached page
        key = listings_cache.request_digest(request, number, listings_cache.search_result_fingerprint(result))
    return SimpleLazyObject(lambda: built.page), SimpleLazyObject(lambda: built.facets), key


class _SearchPage:
    """The page and facet groups of one search answer, built on first use (see ``_searched``)."""

    def __init__(self, request, form, result: SearchResult, number: int):
        self.request, self.form, self.result, self.number = request, form, result, number

    @cached_property
    def page(self):
        result = self.result
        found = selectors.listings_published(kind=self.form.kind).in_bulk(result.ids)
        highlights = {hit.listing_id: hit.highlights for hit in result.hits}
        listings = []
        for pk in result.ids:
            if pk in found:
                listing = found[pk]
                listing.search_highlights = highlights.get(pk) or {}
                listings.append(listing)
        return Paginator(_Found(result.total, listings), PAGE_SIZE).get_page(self.number)

    @cached_property
    def facets(self) -> list[dict]:
        return _facet_groups(self.request, self.form, self.result)


def _list(request, *, kind: str, form_class, template: str):
    form = form_class(request.GET or None)
    searched = None
    if form.valid_data().get("q", "").strip() and _search_available():
        searched = _searched(request, form, number=_page_number(request))
    search_key = None
    if searched is not None:
        page, facets, search_key = searched
        listings = SimpleLazyObject(lambda: page.object_list)
    else:
        page, facets = _page(request, form.apply(selectors.listings_published(kind=kind))), []
        listings = page.object_list
    return render(
        request,
        template,
        {
            "form": form,
            # A submitted filter form renders from the cache per query string (listings.cache).
            "form_key": listings_cache.request_digest(request) if form.is_bound else None,
            "page_obj": page,
            "listings": listings,
            "facets": facets,
            "searched": searched is not None,
            "search_key": search_key,
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
    context.update(_matching_context(request, listing))
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
    if listing.origin != settings.EXCHANGE_ORIGIN:  # another exchange's listing: its owner is there
        return redirect("federation:inquire", listing_pk=listing.pk)
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


# --- matching, introductions, saved searches, suggestions (issue #5) ---------------------------------
DETAIL_MATCHES = 5
MATCHES_PAGE = 30


def _matching_context(request, listing) -> dict:
    """For the listing's people, brokers and staff: the best matches of the other kind, with reasons."""
    from . import matching

    user = request.user
    if not perms.is_authenticated(user) or not matching.can_see_matches(user, listing):
        return {}
    if not _search_available():
        return {}
    found = matching.matches_for(listing, limit=DETAIL_MATCHES)
    return {
        "matches": found,
        "show_matches": True,
        "can_introduce": matching.can_introduce(user) and listing.state in PUBLIC_STATES,
        "introduced_ids": matching.introduced_pairs(listing, [m.listing.pk for m in found])
        if found
        else set(),
        "see_anonymous": matching.is_broker(user),
    }


@require_GET
@login_required
def listing_matches(request, pk: int):
    """Every match of a listing, with reasons; the listing's people, brokers and staff only."""
    from . import matching

    listing = selectors.listing_get_visible(user=request.user, pk=pk)
    if listing is None:
        raise Http404
    if not matching.can_see_matches(request.user, listing):
        raise PermissionDenied
    found = matching.matches_for(listing, limit=MATCHES_PAGE) if _search_available() else []
    return render(
        request,
        "listings/matching/matches.html",
        {
            "listing": listing,
            "matches": found,
            "can_introduce": matching.can_introduce(request.user) and listing.state in PUBLIC_STATES,
            "introduced_ids": matching.introduced_pairs(listing, [m.listing.pk for m in found])
            if found
            else set(),
            "see_anonymous": matching.is_broker(request.user),
        },
    )


@require_POST
@login_required
def introduce(request):
    """A broker introduces a request's organisation to an offer's organisation (plain form post)."""
    from django.core.exceptions import ValidationError

    from . import matching
    from .models import Listing

    if not matching.can_introduce(request.user):
        raise PermissionDenied
    offer = get_object_or_404(Listing, pk=request.POST.get("offer") or 0)
    need = get_object_or_404(Listing, pk=request.POST.get("request") or 0)
    try:
        matching.introduction_create(
            actor=request.user, offer=offer, request=need, note=request.POST.get("note", "")
        )
    except (ValidationError, TransitionNotAllowed) as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Đã giới thiệu hai bên; thành viên của cả hai tổ chức đã được thông báo.")
        )
    return _back(request, offer)


@require_GET
@login_required
def introductions(request):
    """The introductions that concern the user's organisations (or that they made), in the portal."""
    from . import matching

    page = _page(request, matching.introductions_for_user(request.user))
    org_ids = set(
        request.user.memberships.filter(status=MembershipStatus.ACTIVE).values_list(
            "organization_id", flat=True
        )
    )
    rows = []
    for item in page.object_list:
        # The link that starts the deal room's inquiry on the other side's listing.
        if item.request.organization_id in org_ids:
            other = item.offer
        elif item.offer.organization_id in org_ids:
            other = item.request
        else:
            other = None
        rows.append({"item": item, "inquire": other})
    return render(request, "listings/matching/introductions.html", {"page_obj": page, "rows": rows})


def _saved_search_or_404(request, pk: int):
    from .saved_searches import saved_searches_of

    saved = saved_searches_of(request.user).filter(pk=pk).first()
    if saved is None:
        raise Http404
    return saved


@require_POST
@login_required
def saved_search_create(request):
    """Save the search of a list page: its GET parameters come as hidden fields."""
    from django.core.exceptions import ValidationError

    from .saved_searches import run_url
    from .saved_searches import saved_search_create as create

    kind = request.POST.get("kind", "")
    try:
        saved = create(
            user=request.user,
            kind=kind,
            params=request.POST,
            name=request.POST.get("name", ""),
            frequency=request.POST.get("frequency") or "immediate",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        fallback = "listings:technology_list" if kind == ListingKind.OFFER else "listings:request_list"
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return HttpResponseRedirect(target)
        return redirect(fallback)
    messages.success(
        request, _("Đã lưu tìm kiếm “%(name)s”. Quản lý trong trang cá nhân của bạn.") % {"name": saved.name}
    )
    return HttpResponseRedirect(run_url(saved))


@require_http_methods(["GET", "POST"])
@login_required
def saved_searches(request):
    """The user's saved searches: list, rename / change alerts, delete, run."""
    from django.core.exceptions import ValidationError

    from .models import SavedSearchFrequency
    from .saved_searches import run_url, saved_search_delete, saved_search_update, saved_searches_of

    if request.method == "POST":
        saved = _saved_search_or_404(request, request.POST.get("saved_search") or 0)
        try:
            if request.POST.get("action") == "delete":
                saved_search_delete(user=request.user, saved_search=saved)
                messages.success(request, _("Đã xóa tìm kiếm đã lưu."))
            else:
                saved_search_update(
                    user=request.user,
                    saved_search=saved,
                    name=request.POST.get("name"),
                    frequency=request.POST.get("frequency"),
                )
                messages.success(request, _("Đã cập nhật tìm kiếm đã lưu."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("listings:saved_searches")
    page = _page(request, saved_searches_of(request.user))
    for saved in page.object_list:
        saved.run_url = run_url(saved)
    return render(
        request,
        "listings/saved_searches/list.html",
        {"page_obj": page, "frequencies": SavedSearchFrequency.choices},
    )


@require_GET
@login_required
def saved_search_run(request, pk: int):
    from .saved_searches import run_url

    return HttpResponseRedirect(run_url(_saved_search_or_404(request, pk)))


SUGGEST_LIMIT = 8


@require_GET
def suggest(request):
    """As-you-type title suggestions as JSON: ``{"suggestions": [{"id", "title", "url"}]}``."""
    from django.http import JsonResponse

    from .models import Listing
    from .search import search_suggest

    q = (request.GET.get("q") or "").strip()[:100]
    kind = request.GET.get("kind") or None
    if kind not in (None, *ListingKind.values):
        return JsonResponse({"error": "kind"}, status=400)
    language = getattr(request, "LANGUAGE_CODE", "vi") or "vi"
    items = []
    if len(q) >= 2 and _search_available():
        pairs = search_suggest(q, kind=kind, limit=SUGGEST_LIMIT, language=language)
        kinds = dict(Listing.objects.filter(pk__in=[pk for pk, _t in pairs]).values_list("pk", "kind"))
        for pk, title in pairs:
            if pk in kinds:
                name = (
                    "listings:technology_detail"
                    if kinds[pk] == ListingKind.OFFER
                    else "listings:request_detail"
                )
                items.append({"id": pk, "title": title, "url": reverse(name, args=[pk])})
    response = JsonResponse({"suggestions": items})
    response["Cache-Control"] = "public, max-age=60"
    return response
