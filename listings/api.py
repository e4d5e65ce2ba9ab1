"""Partner API for technology offers (``/api/v1/technologies/``) and requests (``/api/v1/requests/``).

Thin views: reads go through ``listings.selectors`` and the interchange mapper, writes through
``listings.services`` (the lifecycle decides; ``exchange.api.ServiceErrorsMixin`` turns refusals into
403/409 and validation errors into 400). The write body is an interchange record, validated by
``listings.interchange.validate_record`` — the same validator bulk import uses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization
from exchange.api import Pagination, ServiceErrorsMixin, error_responses

from . import permissions as lperms
from . import serializers as s
from .filters import RequestFilter, TechnologyFilter
from .interchange import listing_to_record, listings_for_records, record_to_listing_data, validate_record
from .lifecycle import NotPermitted
from .models import Listing, ListingKind, ListingRevision
from .search import InvalidQuery, SearchQuery, SearchResult, get_backend, search_listings
from .selectors import listings_of_user, listings_public
from .services import listing_create, listing_renew, listing_submit, listing_update

TRUE_VALUES = {"1", "true"}  # the true values of the filters' `mine` (listings.filters.BooleanFilter)


def _record_errors(errors) -> exceptions.ValidationError:
    """``RecordError``s grouped by key (``ip[0].type``…), the API's 400 shape."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.key or "non_field_errors", []).append(error.message)
    return exceptions.ValidationError(grouped)


def _search_available() -> bool:
    """Whether the search service can answer here (the database backend needs SQLite for now); where it
    cannot, ``q`` filters through the ORM (``ListingFilter.filter_q``) and there are no facets."""
    return getattr(get_backend(), "available", lambda: True)()


def _facets_data(result: SearchResult) -> dict[str, list[dict]]:
    return {
        name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
        for name, values in result.facets.items()
    }


class _Found:
    """One page of search hits as Django's paginator sees a list: the total, and the page's items for
    whatever slice it asks (the search already cut the page)."""

    def __init__(self, total: int, items: list):
        self.total, self.items = total, items

    def count(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.items


class _ListingViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    kind: str
    summary_serializer_class: type
    search_item_serializer_class: type
    detail_serializer_class: type
    lookup_value_regex = r"\d+"
    pagination_class = Pagination
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    queryset = Listing.objects.none()  # for the schema generator; real querysets come from selectors

    # --- reads ---------------------------------------------------------------------------------------
    def _mine(self) -> bool:
        return self.request.query_params.get("mine", "").strip().lower() in TRUE_VALUES

    def get_queryset(self):
        if self.action == "list":
            if self._mine():
                if not perms.is_authenticated(self.request.user):
                    raise exceptions.NotAuthenticated()
                return (
                    listings_of_user(self.request.user).filter(kind=self.kind).order_by("-updated_at", "-id")
                )
            return listings_public().filter(kind=self.kind)
        return listings_for_records(Listing.objects.filter(kind=self.kind))

    def get_serializer_class(self):
        return self.summary_serializer_class if self.action == "list" else self.detail_serializer_class

    def get_object(self) -> Listing:
        """The listing if the requester may see it; 404 otherwise (its existence is not revealed)."""
        listing = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if listing is None or not lperms.can_view(self.request.user, listing):
            raise exceptions.NotFound()
        return listing

    def _reloaded(self, pk: int) -> Listing:
        return listings_for_records(Listing.objects.filter(pk=pk)).get()

    def _detail(self, listing: Listing, status_code: int = status.HTTP_200_OK, **kwargs) -> Response:
        return Response(s.listing_detail_data(self.request, listing), status=status_code, **kwargs)

    def _filterset(self, queryset):
        """The validated filter set (bad parameters: 400 with a message per parameter)."""
        filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        filterset = self._filterset(queryset)
        data = filterset.form.cleaned_data
        q = (data.get("q") or "").strip()
        # Facets count published listings, so ``mine`` has none.
        want_facets = bool(data.get("facets")) and not self._mine()
        searchable = not self._mine() and _search_available()
        if q and searchable:
            return self._list_searched(request, data, q, want_facets)
        page = self.paginate_queryset(filterset.qs)
        response = self.get_paginated_response(self._summaries(page))
        if want_facets and searchable:
            result = self._search(data, q="", page=1, page_size=1, facets=True)
            response.data["facets"] = _facets_data(result)
        return response

    def _list_searched(self, request, data: dict, q: str, want_facets: bool) -> Response:
        """One page ranked by the search service; its listings loaded in one query, in hit order."""
        paginator = self.paginator
        raw = request.query_params.get(paginator.page_query_param) or "1"
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise exceptions.NotFound(paginator.invalid_page_message.format(page_number=raw, message=""))
        result = self._search(
            data, q=q, page=number, page_size=paginator.get_page_size(request), facets=want_facets
        )
        found = listings_public().filter(kind=self.kind).in_bulk(result.ids)
        listings = [found[pk] for pk in result.ids if pk in found]
        page = paginator.paginate_queryset(_Found(result.total, listings), request, view=self)
        highlights = {hit.listing_id: hit.highlights for hit in result.hits}
        items = self._summaries(page, serializer_class=self.search_item_serializer_class)
        for listing, item in zip(page, items, strict=True):
            item["highlights"] = {name: str(html) for name, html in highlights.get(listing.pk, {}).items()}
        response = self.get_paginated_response(items)
        if want_facets:
            response.data["facets"] = _facets_data(result)
        return response

    def _search(self, data: dict, *, q: str, page: int, page_size: int, facets: bool) -> SearchResult:
        """``search_listings`` with the validated filter values (codes and refs, as the service takes)."""
        trl_min, trl_max = data.get("trl_min"), data.get("trl_max")
        if data.get("trl") is not None:  # a request's wanted TRL range must hold this TRL
            trl_min = trl_max = data["trl"]
        field, province, organization = data.get("field"), data.get("province"), data.get("organization")
        query = SearchQuery(
            q=q,
            kind=self.kind,
            field=field.code if field else None,
            trl_min=trl_min,
            trl_max=trl_max,
            ip_type=data.get("ip_type") or None,
            transaction_type=data.get("transaction_type") or None,
            province=province.code if province else None,
            organization=organization.ref if organization else None,
            price_max=data.get("price_max"),
            sort="relevance",
            page=page,
            page_size=page_size,
            facets=facets,
            language=self.request.LANGUAGE_CODE if hasattr(self.request, "LANGUAGE_CODE") else "vi",
        )
        try:
            return search_listings(query)
        except InvalidQuery as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc

    def _summaries(self, page, serializer_class=None) -> list:
        context = self.get_serializer_context()
        user = self.request.user
        if perms.is_authenticated(user) and not perms.is_moderator(user) and any(i.anonymous for i in page):
            # One query tells which of this page's anonymous requests the user co-authors.
            context["author_listing_ids"] = frozenset(
                Listing.authors.through.objects.filter(
                    user_id=user.pk, listing_id__in=[item.pk for item in page]
                ).values_list("listing_id", flat=True)
            )
        serializer_class = serializer_class or self.summary_serializer_class
        return list(serializer_class(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    # --- writes --------------------------------------------------------------------------------------
    def _cleaned(self, record: Any) -> dict:
        if not isinstance(record, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": ["Nội dung phải là một bản ghi JSON (the body must be a JSON object)."]}
            )
        cleaned, errors = validate_record(record, label=str(record.get("ref") or ""))
        if errors:
            raise _record_errors(errors)
        if cleaned["kind"] != self.kind:
            raise exceptions.ValidationError(
                {
                    "kind": [
                        f'Điểm cuối này chỉ nhận kind "{self.kind}" (this endpoint takes kind "{self.kind}").'
                    ]
                }
            )
        return cleaned

    def create(self, request, *args, **kwargs):
        cleaned = self._cleaned(request.data)
        org_ref = (cleaned.get("organization") or {}).get("ref")
        if not org_ref:
            raise exceptions.ValidationError(
                {"organization.ref": ["Cần mã tổ chức (organization.ref is required)."]}
            )
        organization = Organization.objects.filter(ref=org_ref).first()
        if organization is None:
            raise exceptions.ValidationError(
                {"organization.ref": [f"Không có tổ chức mã “{org_ref}” (unknown organisation)."]}
            )
        if not (perms.is_member(request.user, organization) or perms.is_staff(request.user)):
            raise exceptions.PermissionDenied(
                "Bạn phải là thành viên của tổ chức để đăng tin cho tổ chức đó "
                "(you must be an active member of the organisation)."
            )
        if Listing.objects.filter(origin=settings.EXCHANGE_ORIGIN, ref=cleaned["ref"]).exists():
            raise exceptions.ValidationError(
                {"ref": [f"Mã tham chiếu “{cleaned['ref']}” đã được dùng (ref already exists)."]}
            )
        listing = listing_create(
            actor=request.user,
            kind=self.kind,
            organization=organization,
            data=record_to_listing_data(cleaned),
            ref=cleaned["ref"],
        )
        location = reverse(f"api:{self.basename}-detail", args=[listing.pk])
        return self._detail(
            self._reloaded(listing.pk), status.HTTP_201_CREATED, headers={"Location": location}
        )

    def _save(self, request, *, partial: bool) -> Response:
        listing = self.get_object()
        if not lperms.can_edit(request.user, listing):
            raise NotPermitted("Bạn không có quyền sửa tin này (not your listing).", action="update")
        record = request.data
        if partial:
            if not isinstance(record, dict):
                raise exceptions.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
            record = {**listing_to_record(listing, public=False), **record}
        cleaned = self._cleaned(record)
        if cleaned["ref"] != listing.ref:
            raise exceptions.ValidationError({"ref": ["Không đổi được mã tham chiếu (ref cannot change)."]})
        org = cleaned.get("organization") or {}
        if org.get("ref") and org["ref"] != listing.organization.ref:
            raise exceptions.ValidationError(
                {"organization.ref": ["Không đổi được tổ chức của tin (the organisation cannot change)."]}
            )
        result = listing_update(actor=request.user, listing=listing, data=record_to_listing_data(cleaned))
        if isinstance(result, ListingRevision):
            return Response(
                {
                    "revision": result.pk,
                    "state": result.state,
                    "stage": result.stage,
                    "detail": "Tin đang đăng: bản sửa chờ duyệt, tin hiện tại giữ nguyên "
                    "(published listing: the edit awaits approval; the live listing is unchanged).",
                },
                status=status.HTTP_202_ACCEPTED,
            )
        return self._detail(self._reloaded(listing.pk))

    def update(self, request, *args, **kwargs):
        return self._save(request, partial=False)

    def partial_update(self, request, *args, **kwargs):
        return self._save(request, partial=True)

    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        listing = listing_submit(actor=request.user, listing=self.get_object())
        return self._detail(self._reloaded(listing.pk))

    @action(detail=True, methods=["post"])
    def renew(self, request, *args, **kwargs):
        listing = listing_renew(actor=request.user, listing=self.get_object())
        return self._detail(self._reloaded(listing.pk))


# --- OpenAPI: the same operations for both kinds, each with its error responses ------------------------
def _schema(tag: str, page_cls, detail_cls, record_cls, noun: str):
    write_errors = error_responses(400, 401, 403, 404, 409)
    accepted = OpenApiResponse(
        s.RevisionAcceptedSerializer,
        description="The listing is published: a pending revision was created (the live one is unchanged).",
    )
    return extend_schema_view(
        list=extend_schema(
            tags=[tag],
            summary=f"Published {noun}s (or yours with mine=1)",
            responses={200: page_cls, **error_responses(400, 401, 404)},
            description="Paginated (`count`, `next`, `previous`, `results`); `page` past the end: 404. "
            "Invalid filter values: 400 with a message per parameter. With `q` the search service answers: "
            "words are matched without regard to diacritics or case ('xu ly nuoc' finds 'xử lý nước'), "
            "results come by relevance (listings with every word first) and each carries `highlights`; "
            "`facets=1` adds `facets` beside `results` (with or without `q`).",
        ),
        retrieve=extend_schema(
            tags=[tag],
            summary=f"One {noun} as an interchange record",
            responses={200: detail_cls, **error_responses(401, 404)},
            description="Published listings for everyone; other states only for their owners, the "
            "organisation's TTO managers and moderators (others: 404).",
        ),
        create=extend_schema(
            tags=[tag],
            summary=f"Create a draft {noun} from an interchange record",
            request=record_cls,
            responses={201: detail_cls, **error_responses(400, 401, 403)},
            description="`organization.ref` must be an organisation you are an active member of (else 403; "
            "unknown ref: 400). `media` is ignored. The listing starts as a draft: submit it to have it "
            "reviewed.",
        ),
        update=extend_schema(
            tags=[tag],
            summary=f"Replace a {noun}'s content",
            request=record_cls,
            responses={200: detail_cls, 202: accepted, **write_errors},
            description="Drafts and unpublished listings change at once (200). A published listing "
            "stays as it is and a revision awaits approval (202). `ref`, `kind` and the organisation "
            "cannot change. Archived, closed and listings under review: 409.",
        ),
        partial_update=extend_schema(
            tags=[tag],
            summary=f"Change some keys of a {noun}",
            request=record_cls,
            responses={200: detail_cls, 202: accepted, **write_errors},
            description="Top-level keys given replace those of the current record; then as PUT.",
        ),
        submit=extend_schema(
            tags=[tag],
            summary="Send a draft for review",
            request=None,
            responses={200: detail_cls, **error_responses(401, 403, 404, 409)},
            description="To the organisation's TTO manager if it has one, else to the moderators. "
            "Already submitted, or incomplete: 409.",
        ),
        renew=extend_schema(
            tags=[tag],
            summary="Extend a published or expired listing",
            request=None,
            responses={200: detail_cls, **error_responses(401, 403, 404, 409)},
        ),
    )


@_schema(
    "technologies",
    s.TechnologyPageSerializer,
    s.TechnologyDetailSerializer,
    s.TechnologyRecordSerializer,
    "technology offer",
)
class TechnologyViewSet(_ListingViewSet):
    kind = ListingKind.OFFER
    filterset_class = TechnologyFilter
    summary_serializer_class = s.TechnologySummarySerializer
    search_item_serializer_class = s.TechnologySearchItemSerializer
    detail_serializer_class = s.TechnologyDetailSerializer


@_schema(
    "requests",
    s.RequestPageSerializer,
    s.RequestDetailSerializer,
    s.RequestRecordSerializer,
    "technology request",
)
class RequestViewSet(_ListingViewSet):
    kind = ListingKind.REQUEST
    filterset_class = RequestFilter
    summary_serializer_class = s.RequestSummarySerializer
    search_item_serializer_class = s.RequestSearchItemSerializer
    detail_serializer_class = s.RequestDetailSerializer
