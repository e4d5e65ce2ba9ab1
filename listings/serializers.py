"""Representations of listings in the partner API.

List pages use ``ListingSummarySerializer`` (a few columns, no per-row query). The detail view and the
write endpoints speak the interchange record (``listings.interchange``), so the API and bulk import share
one validator and one mapper; the ``*RecordSerializer`` classes below only *describe* that record in the
OpenAPI schema — validation is ``interchange.validate_record``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from exchange.accounts import permissions as perms
from exchange.api import StrictCharField, StrictSerializer

from . import permissions as lperms
from .interchange import SCHEMA, listing_to_record
from .lifecycle import ListingState
from .models import IPStatus, IPType, Listing, ListingKind, TransactionType

HIDDEN_ORGANIZATION = {"ref": None, "name": None}


# --- who sees the organisation ----------------------------------------------------------------------
def organization_visible(request, listing: Listing, *, author_listing_ids=None) -> bool:
    """Anonymous visitors never see organisations; an anonymous request's organisation only its owners
    (creator, co-authors, members) and moderators. List pages pass ``author_listing_ids`` (the page's
    listings the user co-authors, read in one query) to avoid a query per row."""
    user = getattr(request, "user", None)
    if not perms.is_authenticated(user):
        return False
    if not listing.anonymous:
        return True
    return (
        listing.created_by_id == user.pk
        or (
            lperms.is_author(user, listing)
            if author_listing_ids is None
            else listing.pk in author_listing_ids
        )
        or perms.is_member(user, listing.organization_id)
        or perms.is_moderator(user)
    )


def listing_url(request, listing: Listing) -> str:
    """The public page of the listing; the API detail URL where the site has none."""
    get_url = getattr(listing, "get_absolute_url", None)
    if get_url is not None:
        path = get_url()
    else:
        name = "api:technology-detail" if listing.kind == ListingKind.OFFER else "api:request-detail"
        path = reverse(name, args=[listing.pk])
    return request.build_absolute_uri(path) if request is not None else path


# --- small nested shapes (shared by summaries and records) ----------------------------------------------
class LangTextSerializer(StrictSerializer):
    vi = StrictCharField(required=False, allow_blank=True)
    en = StrictCharField(required=False, allow_blank=True)


class OrganizationRefSerializer(StrictSerializer):
    ref = StrictCharField(allow_null=True, help_text="null when hidden from you")
    name = StrictCharField(allow_null=True, required=False)


class PriceSerializer(StrictSerializer):
    currency = serializers.ChoiceField(choices=["VND"])
    min = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    max = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    negotiable = serializers.BooleanField(required=False)


class TrlRangeSerializer(StrictSerializer):
    min = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=9)
    max = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=9)


# --- list pages -------------------------------------------------------------------------------------
class ListingSummarySerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    ref = StrictCharField(read_only=True)
    origin = StrictCharField(read_only=True)
    kind = serializers.ChoiceField(choices=ListingKind.choices, read_only=True)
    state = serializers.ChoiceField(choices=ListingState.choices, read_only=True)
    url = serializers.SerializerMethodField(help_text="Absolute URL of the public page.")
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField(
        help_text="`{ref: null, name: null}` for anonymous visitors and anonymous requests."
    )
    field = serializers.SerializerMethodField(help_text="S&T field code.")
    keywords = serializers.ListField(child=StrictCharField(), read_only=True)
    transaction_types = serializers.ListField(
        child=serializers.ChoiceField(choices=TransactionType.choices), read_only=True
    )
    price = serializers.SerializerMethodField()
    province = serializers.SerializerMethodField(help_text="Province code.")
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_url(self, obj) -> str:
        return listing_url(self.context.get("request"), obj)

    @extend_schema_field(LangTextSerializer)
    def get_title(self, obj):
        return {"vi": obj.title_vi, "en": obj.title_en}

    @extend_schema_field(LangTextSerializer)
    def get_summary(self, obj):
        return {"vi": obj.summary_vi, "en": obj.summary_en}

    @extend_schema_field(OrganizationRefSerializer)
    def get_organization(self, obj):
        visible = organization_visible(
            self.context.get("request"),
            obj,
            author_listing_ids=self.context.get("author_listing_ids", frozenset()),
        )
        return (
            {"ref": obj.organization.ref, "name": obj.organization.name} if visible else HIDDEN_ORGANIZATION
        )

    def get_field(self, obj) -> str:
        return obj.field.code

    @extend_schema_field(PriceSerializer(allow_null=True))
    def get_price(self, obj):
        if obj.price_min is None and obj.price_max is None and not obj.price_negotiable:
            return None
        return {
            "currency": "VND",
            "min": obj.price_min,
            "max": obj.price_max,
            "negotiable": obj.price_negotiable,
        }

    def get_province(self, obj) -> str | None:
        return obj.province.code if obj.province_id else None


class TechnologySummarySerializer(ListingSummarySerializer):
    trl = serializers.IntegerField(read_only=True)


class RequestSummarySerializer(ListingSummarySerializer):
    trl_wanted = serializers.SerializerMethodField()
    deadline = serializers.DateField(read_only=True, allow_null=True)
    anonymous = serializers.BooleanField(read_only=True)

    @extend_schema_field(TrlRangeSerializer)
    def get_trl_wanted(self, obj):
        return {"min": obj.trl_wanted_min, "max": obj.trl_wanted_max}


# --- list pages answered by the search service (documentation only) -------------------------------------
class FacetValueSerializer(StrictSerializer):
    value = StrictCharField(help_text="The code to pass back as the filter's value.")
    label = StrictCharField(help_text="Human-readable name (Vietnamese unless the request asks English).")
    count = serializers.IntegerField(help_text="Listings matching the query with this value.")


HIGHLIGHTS_HELP = (
    "Only when searching (`q`): field (`title`, `summary`, `description`, `keywords`, `organization`) → "
    "escaped HTML with `<mark>` around the matched words; fields without a match are left out."
)
FACETS_HELP = (
    "With `facets=1`: facet name (`field`, `trl`, `ip_type`, `transaction_type`, "
    "`province`, `organization`, `price_band`) → values with counts. A facet's counts ignore its own filter."
)


class TechnologySearchItemSerializer(TechnologySummarySerializer):
    # Not read_only: drf-spectacular marks read-only fields required, but only searched lists carry it.
    highlights = serializers.DictField(child=StrictCharField(), required=False, help_text=HIGHLIGHTS_HELP)


class RequestSearchItemSerializer(RequestSummarySerializer):
    # Not read_only: drf-spectacular marks read-only fields required, but only searched lists carry it.
    highlights = serializers.DictField(child=StrictCharField(), required=False, help_text=HIGHLIGHTS_HELP)


def _page_serializer(name: str, item_cls):
    # many=False: the whole page body, so the schema generator does not wrap it in another page.
    return extend_schema_serializer(many=False)(
        type(
            name,
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": item_cls(many=True),
                "facets": serializers.DictField(
                    child=FacetValueSerializer(many=True), required=False, help_text=FACETS_HELP
                ),
                "__module__": __name__,
            },
        )
    )


TechnologyPageSerializer = _page_serializer("TechnologyPageSerializer", TechnologySearchItemSerializer)
RequestPageSerializer = _page_serializer("RequestPageSerializer", RequestSearchItemSerializer)


# --- the interchange record (documentation of the detail body and of write input) ---------------------
class IPRightSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=IPType.choices)
    status = serializers.ChoiceField(choices=IPStatus.choices, required=False)
    number = StrictCharField(required=False, allow_blank=True)
    jurisdiction = StrictCharField(required=False, allow_blank=True)
    filed_on = serializers.DateField(required=False, allow_null=True)
    granted_on = serializers.DateField(required=False, allow_null=True)


class InventorSerializer(StrictSerializer):
    name = StrictCharField()


class MediaSerializer(StrictSerializer):
    url = StrictCharField()
    kind = StrictCharField(help_text="`image` or `document`")
    title = StrictCharField(required=False, allow_blank=True)
    language = StrictCharField(required=False, allow_blank=True)


class RecordSerializer(StrictSerializer):
    """The technology interchange record ``techex.technology/1`` (docs/interchange.md)."""

    schema = serializers.ChoiceField(choices=[SCHEMA])
    ref = StrictCharField(max_length=100, help_text="Unique within the exchange; cannot change.")
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    title = LangTextSerializer(help_text="At least one of vi/en.")
    summary = LangTextSerializer(required=False)
    description = LangTextSerializer(required=False)
    advantages = LangTextSerializer(required=False)
    applications = LangTextSerializer(required=False)
    field = StrictCharField(help_text="S&T field code, e.g. `2.07`.")
    keywords = serializers.ListField(child=StrictCharField(), required=False)
    ip = IPRightSerializer(many=True, required=False)
    transaction_types = serializers.ListField(child=serializers.ChoiceField(choices=TransactionType.choices))
    price = PriceSerializer(required=False, allow_null=True)
    organization = OrganizationRefSerializer(
        help_text="Writes: `ref` of an organisation you are an active member of."
    )
    inventors = InventorSerializer(many=True, required=False)
    province = StrictCharField(required=False, allow_null=True, help_text="Name or code.")
    state_funded = serializers.BooleanField(required=False)
    media = MediaSerializer(many=True, required=False, help_text="Read-only: public files; ignored on write.")
    updated_at = serializers.DateTimeField(required=False)


class TechnologyRecordSerializer(RecordSerializer):
    trl = serializers.IntegerField(min_value=1, max_value=9)


class RequestRecordSerializer(RecordSerializer):
    problem = LangTextSerializer(required=False)
    desired_outcome = LangTextSerializer(required=False)
    trl_wanted = TrlRangeSerializer(required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    anonymous = serializers.BooleanField(required=False)


class _DetailMixin(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    url = StrictCharField(read_only=True, help_text="Absolute URL of the public page.")
    origin = StrictCharField(read_only=True, help_text="The exchange the listing comes from.")
    version = serializers.IntegerField(read_only=True, help_text="Public version, increasing.")
    state = serializers.ChoiceField(choices=ListingState.choices, read_only=True)


class TechnologyDetailSerializer(_DetailMixin, TechnologyRecordSerializer):
    pass


class RequestDetailSerializer(_DetailMixin, RequestRecordSerializer):
    pass


class RevisionAcceptedSerializer(StrictSerializer):
    revision = serializers.IntegerField(help_text="Id of the pending revision.")
    state = StrictCharField(help_text="`pending`")
    stage = StrictCharField(help_text="`tto` or `moderation`: who decides next.")
    detail = StrictCharField()


def listing_detail_data(request, listing: Listing) -> dict[str, Any]:
    """The record of a listing as this requester may see it, plus ``id``, ``url`` and ``state``."""
    visible = organization_visible(request, listing)
    base_url = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
    record = listing_to_record(listing, public=not visible, base_url=base_url)
    if not visible:
        record["organization"] = dict(HIDDEN_ORGANIZATION)
    return {"id": listing.pk, "url": listing_url(request, listing), "state": listing.state, **record}
