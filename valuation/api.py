"""Valuation API: the open calculator (``POST /api/v1/valuations/calculate/``) and saved valuations.

The calculator is open to anonymous visitors and rate-limited (DRF ``ScopedRateThrottle``, scope
``valuation``); a market estimate over the exchange's comparables lists them only to signed-in callers
(``services.calculate``). Saved valuations need an account and are the owner's only (others: 404).
Errors name the input: ``{"inputs.royalty_rate": ["…"]}``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from exchange.api import Pagination, ServiceErrorsMixin, error_responses
from listings.models import Listing

from . import engine, selectors, services
from . import serializers as s
from .messages import engine_error_message
from .models import ValuationVersion

#: Used until the lead adds ``"valuation": …`` to REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].
DEFAULT_RATE = "60/min"


class ValuationThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that reads the rate at request time and has a default, so a missing setting
    is never an ImproperlyConfigured 500."""

    def get_rate(self):
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope, DEFAULT_RATE)


def engine_400(exc: engine.ValidationError) -> exceptions.ValidationError:
    key = exc.input if exc.input in {"method", "inputs", "draws", "seed"} else f"inputs.{exc.input}"
    return exceptions.ValidationError({key: [engine_error_message(exc)]})


EXAMPLE = {
    "method": "relief_from_royalty",
    "inputs": {
        "revenues": [
            1_000_000_000,
            {"min": 1_000_000_000, "mode": 1_500_000_000, "max": 2_500_000_000},
            2_000_000_000,
        ],
        "royalty_rate": 0.05,
        "tax_rate": 0.2,
        "discount_rate": {"min": 0.12, "max": 0.2},
        "start_year": 2027,
        "protection_end_year": 2040,
    },
}


class CalculateView(ServiceErrorsMixin, APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ValuationThrottle]
    throttle_scope = "valuation"

    @extend_schema(
        operation_id="valuations_calculate",
        summary="Calculate a valuation with one method",
        description=(
            "Methods: relief_from_royalty (revenues, royalty_rate, tax_rate, discount_rate, optional "
            "mid_year, "
            "protection_end_year with start_year); dcf (cash_flows, discount_rate); rnpv (cash_flows, "
            "discount_rate, success_probabilities or trl); cost (costs [{amount, year}], index_rate, "
            "valuation_year, margin, obsolescence: a fraction or {functional, technological, economic}); "
            "rule_25 (revenue, operating_margin; value = annual royalty, details.royalty_rate); market "
            "(comparables [{label, value, year, adjustments}], index_rate, valuation_year; without "
            "comparables it uses the exchange's, filtered by field_code, trl_min, trl_max, "
            "transaction_type — signed-in callers get each row, anonymous ones only details.count and "
            "the estimate); scoring (scores "
            "{category: {factor: 1..5}}; value null). Conventions: integer VND, rates as fractions, "
            "end-of-year discounting (mid_year optional), horizon capped by protection_end_year. Open to "
            "anonymous visitors, rate-limited (429)."
        ),
        request=s.CalculateRequestSerializer,
        responses={200: s.CalculateResponseSerializer, **error_responses(400, 401, 429)},
        examples=[OpenApiExample("Relief from royalty with ranges", value=EXAMPLE, request_only=True)],
        tags=["valuations"],
    )
    def post(self, request):
        serializer = s.CalculateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = services.calculate(
                actor=request.user,
                method=data["method"],
                inputs=data["inputs"],
                draws=data.get("draws"),
                seed=data.get("seed"),
            )
        except engine.ValidationError as exc:
            raise engine_400(exc) from exc
        return Response(result)


ERRORS = error_responses(400, 401, 403, 404)
#: a change may conflict with a published report or a newer version
CHANGE_ERRORS = error_responses(400, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Your saved valuations",
        tags=["valuations"],
        responses={200: s.ValuationSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One of your saved valuations",
        tags=["valuations"],
        responses={200: s.ValuationSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary="Save a valuation", tags=["valuations"], responses={201: s.ValuationSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change a valuation (results are recomputed)",
        tags=["valuations"],
        responses={200: s.ValuationSerializer, **CHANGE_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a valuation", tags=["valuations"], responses={204: None, **ERRORS}),
)
class ValuationViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.ValuationSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.valuations_for_user(self.request.user).order_by("-updated_at", "-id")

    def get_object(self):
        valuation = selectors.valuation_for_user(user=self.request.user, pk=int(self.kwargs["pk"]))
        if valuation is None:
            raise Http404
        return valuation

    def _listing(self, data):
        pk = data.get("listing_id")
        if pk is None:
            return None
        listing = Listing.objects.filter(pk=pk).first()
        if listing is None:
            raise exceptions.ValidationError({"listing": ["Không tìm thấy công nghệ."]})
        return listing

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ValuationSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(s.ValuationSerializer(self.get_object()).data)

    def create(self, request):
        serializer = s.ValuationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        valuation = services.valuation_create(
            actor=request.user,
            title=data["title"],
            methods=data["methods"],
            inputs=data.get("inputs") or {},
            listing=self._listing(data),
        )
        return Response(s.ValuationSerializer(valuation).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        valuation = self.get_object()
        serializer = s.ValuationSerializer(valuation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kwargs = {"title": data.get("title"), "methods": data.get("methods"), "inputs": data.get("inputs")}
        if "listing_id" in data:
            kwargs["listing"] = self._listing(data)
        valuation = services.valuation_update(actor=request.user, valuation=valuation, **kwargs)
        return Response(s.ValuationSerializer(valuation).data)

    def destroy(self, request, pk=None):
        services.valuation_delete(actor=request.user, valuation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Save the current inputs and results as a new immutable version",
        request=s.SaveVersionSerializer,
        responses={201: s.ValuationVersionSerializer, **ERRORS},
        tags=["valuations"],
    )
    @action(detail=True, methods=["post"], pagination_class=None)  # GET: the whole list, as documented
    def versions(self, request, pk=None):
        serializer = s.SaveVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.valuation_save_version(
            actor=request.user, valuation=self.get_object(), note=serializer.validated_data.get("note", "")
        )
        return Response(s.ValuationVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Saved versions, newest first",
        responses={200: s.ValuationVersionSerializer(many=True), **ERRORS},
        tags=["valuations"],
    )
    @versions.mapping.get
    def version_list(self, request, pk=None):
        versions = ValuationVersion.objects.filter(valuation=self.get_object()).order_by("-number")
        return Response(s.ValuationVersionSerializer(versions, many=True).data)
