"""API shapes of support requests and quotes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from exchange.api import StrictCharField, StrictModelSerializer, StrictSerializer

from .models import ServiceKind, ServiceQuote, ServiceRequest


class QuoteSerializer(StrictModelSerializer):
    class Meta:
        model = ServiceQuote
        fields = [
            "id",
            "version",
            "amount_vnd",
            "vat_percent",
            "vat_vnd",
            "total_vnd",
            "description",
            "valid_until",
            "created_at",
            "superseded_at",
            "accepted_at",
        ]


class ServiceRequestSerializer(StrictModelSerializer):
    requester = serializers.IntegerField(source="requester_id")
    requester_organization = serializers.IntegerField(source="requester_organization_id", allow_null=True)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)
    listing = serializers.IntegerField(source="listing_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    quotes = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "kind",
            "state",
            "requester",
            "requester_organization",
            "deal",
            "listing",
            "assignee",
            "description",
            "close_reason",
            "delivery_note",
            "created_at",
            "updated_at",
            "delivered_at",
            "quotes",
        ]

    def get_quotes(self, obj) -> list[dict]:
        if not self.context.get("with_quotes"):
            return []
        return QuoteSerializer(obj.quotes.order_by("-version"), many=True).data


class RequestInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    description = StrictCharField(max_length=10_000)
    organization = serializers.IntegerField(required=False, allow_null=True)
    deal = serializers.IntegerField(required=False, allow_null=True)
    listing = serializers.IntegerField(required=False, allow_null=True)


class QuoteInSerializer(StrictSerializer):
    amount_vnd = serializers.IntegerField(min_value=0, help_text="Price before VAT, whole VND.")
    vat_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=10
    )
    description = StrictCharField()
    valid_until = serializers.DateField()


# Not "AcceptIn": the deals API has its own (an NDA template), and one component name for both would
# document one of the two bodies wrongly.
@extend_schema_serializer(component_name="QuoteAcceptIn")
class AcceptInSerializer(StrictSerializer):
    quote = serializers.IntegerField()


class AssignInSerializer(StrictSerializer):
    assignee = serializers.IntegerField(allow_null=True)


class NoteInSerializer(StrictSerializer):
    note = StrictCharField(required=False, allow_blank=True, default="")
