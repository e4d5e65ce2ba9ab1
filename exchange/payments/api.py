"""Read-only partner API for a deal's payment requests (``/api/v1/deals/<id>/payment-requests/`` and
``/api/v1/payment-requests/<reference>/``). A deal you are not part of is 404; its assigned broker gets 403
until they accepted the deal's NDA."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers

from exchange.api import ServiceErrorsMixin, StrictCharField, StrictModelSerializer, error_responses
from exchange.deals import permissions as dperms
from exchange.deals import selectors as deal_selectors
from exchange.deals import services as deal_services

from . import selectors
from .models import Payment, PaymentRequest, Refund


def _refuse_outstanding_broker(user, deal) -> None:
    """403 for the deal's assigned broker until they accept its NDA: payment amounts are the deal's value,
    which the deal API keeps from them too (``exchange.deals.permissions.can_view_confidential``)."""
    if not dperms.can_view_confidential(user, deal):
        raise exceptions.PermissionDenied(str(deal_services.BROKER_NDA_FIRST))


class PaymentSerializer(StrictModelSerializer):
    class Meta:
        model = Payment
        fields = ["provider", "amount_vnd", "external_id", "received_at"]


class RefundSerializer(StrictModelSerializer):
    class Meta:
        model = Refund
        fields = ["provider", "amount_vnd", "status", "external_id", "created_at", "completed_at"]


class PaymentRequestSerializer(StrictModelSerializer):
    deal = serializers.IntegerField(source="deal_id", read_only=True, allow_null=True)
    milestone = serializers.IntegerField(source="milestone_id", read_only=True, allow_null=True)
    milestone_label = StrictCharField(source="label", read_only=True)
    service_quote = serializers.IntegerField(source="service_quote_id", read_only=True, allow_null=True)
    remaining_vnd = serializers.IntegerField(read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentRequest
        fields = [
            "reference",
            "deal",
            "milestone",
            "milestone_label",
            "service_quote",
            "amount_vnd",
            "currency",
            "status",
            "paid_vnd",
            "remaining_vnd",
            "refunded_vnd",
            "vat_percent",
            "due_date",
            "created_at",
            "paid_at",
            "payments",
            "refunds",
        ]
        read_only_fields = fields


class DealPaymentRequestList(ServiceErrorsMixin, generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PaymentRequestSerializer
    queryset = PaymentRequest.objects.none()

    def get_queryset(self):
        deal = deal_selectors.deal_for_user(user=self.request.user, pk=int(self.kwargs["deal_pk"]))
        if deal is None:
            raise Http404
        _refuse_outstanding_broker(self.request.user, deal)
        return selectors.payment_requests_for_deal(deal).order_by("created_at", "id")

    @extend_schema(
        summary="Payment requests of a deal",
        description="Every payment request of the deal's milestones, with the money received and refunded.",
        responses={200: PaymentRequestSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PaymentRequestDetail(ServiceErrorsMixin, generics.RetrieveAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PaymentRequestSerializer
    queryset = PaymentRequest.objects.none()

    def get_object(self):
        pr = selectors.payment_request_for_user(user=self.request.user, reference=self.kwargs["reference"])
        if pr is None:
            raise Http404
        if pr.deal_id:
            _refuse_outstanding_broker(self.request.user, pr.deal)
        return pr

    @extend_schema(
        summary="One payment request by its reference",
        responses={200: PaymentRequestSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
