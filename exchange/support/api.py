"""Partner API for support-service requests (``/api/v1/support/requests/``).

Thin: reads through ``exchange.support.selectors`` (a request you may not see is 404), writes through
``exchange.support.services``; refusals become 403 (role), 409 (state) or 400 (input).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from exchange.accounts.models import Organization
from exchange.api import Pagination, ServiceErrorsMixin, error_responses

from . import selectors, services
from . import serializers as s
from .models import ServiceQuote, ServiceRequest

ERRORS = error_responses(400, 401, 403, 404, 409)


class ServiceRequestViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """Support-service requests you made, your organisation made (as its signatory) or are assigned."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    serializer_class = s.ServiceRequestSerializer
    queryset = ServiceRequest.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.requests_for_user(self.request.user)

    def get_object(self) -> ServiceRequest:
        obj = selectors.request_for_user(user=self.request.user, pk=int(self.kwargs["pk"]))
        if obj is None:
            raise Http404
        return obj

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _out(self, obj: ServiceRequest, code=status.HTTP_200_OK) -> Response:
        obj = selectors.request_for_user(user=self.request.user, pk=obj.pk) or obj
        return Response(s.ServiceRequestSerializer(obj, context={"with_quotes": True}).data, status=code)

    @extend_schema(
        summary="Your support requests",
        responses={200: s.ServiceRequestSerializer(many=True), **error_responses(401)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ServiceRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="One support request with its quotes", responses={200: s.ServiceRequestSerializer, **ERRORS}
    )
    def retrieve(self, request, pk=None):
        return self._out(self.get_object())

    @extend_schema(
        summary="Ask for a support service",
        request=s.RequestInSerializer,
        responses={201: s.ServiceRequestSerializer, **ERRORS},
    )
    def create(self, request):
        from exchange.deals.selectors import deal_for_user
        from listings.models import Listing

        data = self._input(s.RequestInSerializer)
        organization = (
            get_object_or_404(Organization, pk=data["organization"]) if data.get("organization") else None
        )
        deal = None
        if data.get("deal"):
            deal = deal_for_user(user=request.user, pk=data["deal"])
            if deal is None:
                raise Http404
        listing = get_object_or_404(Listing, pk=data["listing"]) if data.get("listing") else None
        obj = services.service_request_create(
            actor=request.user,
            kind=data["kind"],
            description=data["description"],
            organization=organization,
            deal=deal,
            listing=listing,
        )
        return self._out(obj, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Quote a price (staff or assignee; a new version supersedes the last)",
        request=s.QuoteInSerializer,
        responses={201: s.QuoteSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def quote(self, request, pk=None):
        quote = services.service_request_quote(
            actor=request.user, request=self.get_object(), **self._input(s.QuoteInSerializer)
        )
        return Response(s.QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept the current quote (requester)",
        request=s.AcceptInSerializer,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        obj = self.get_object()
        quote = get_object_or_404(ServiceQuote, pk=self._input(s.AcceptInSerializer)["quote"], request=obj)
        services.service_request_accept_quote(actor=request.user, request=obj, quote=quote)
        return self._out(obj)

    @extend_schema(
        summary="Assign to a staff member or (valuation) an appraiser (staff)",
        request=s.AssignInSerializer,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        obj = self.get_object()
        assignee_id = self._input(s.AssignInSerializer)["assignee"]
        assignee = get_object_or_404(get_user_model(), pk=assignee_id) if assignee_id else None
        return self._out(services.service_request_assign(actor=request.user, request=obj, assignee=assignee))

    @extend_schema(
        summary="Start the work (staff or assignee)",
        request=None,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._out(services.service_request_start(actor=request.user, request=self.get_object()))

    @extend_schema(
        summary="Mark delivered (staff or assignee)",
        request=s.NoteInSerializer,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        note = self._input(s.NoteInSerializer)["note"]
        return self._out(
            services.service_request_deliver(actor=request.user, request=self.get_object(), note=note)
        )

    @extend_schema(
        summary="Decline the request (staff; a reason is required)",
        request=s.NoteInSerializer,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        note = self._input(s.NoteInSerializer)["note"]
        return self._out(
            services.service_request_decline(actor=request.user, request=self.get_object(), reason=note)
        )

    @extend_schema(
        summary="Cancel the request (requester before work starts; staff)",
        request=s.NoteInSerializer,
        responses={200: s.ServiceRequestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        note = self._input(s.NoteInSerializer)["note"]
        return self._out(
            services.service_request_cancel(actor=request.user, request=self.get_object(), reason=note)
        )
