"""API shapes of a deal and its room (read side); write bodies are small input serializers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from exchange.api import StrictCharField, StrictModelSerializer, StrictSerializer
from listings.models import TransactionType

from .models import Contract, Deal, DealRating, Message, Signature, TermSheet


# Its own component name: listings' OrganizationRef (ref and name, hidden for anonymous requests) is a
# different shape, and two components of one name make the schema describe one of them wrongly.
@extend_schema_serializer(component_name="DealOrganization")
class OrganizationRefSerializer(StrictSerializer):
    id = serializers.IntegerField()
    ref = StrictCharField()
    name = StrictCharField()
    country = StrictCharField()


class DealSerializer(StrictModelSerializer):
    listing = serializers.IntegerField(source="listing_id")
    listing_title = StrictCharField(source="listing.title")
    buyer_organization = OrganizationRefSerializer()
    seller_organization = OrganizationRefSerializer()
    broker = serializers.IntegerField(source="broker_id", allow_null=True)
    nda_template = serializers.IntegerField(source="nda_template_id", allow_null=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "state",
            "listing",
            "listing_title",
            "buyer_organization",
            "seller_organization",
            "broker",
            "nda_template",
            "value_vnd",
            "close_reason",
            "created_at",
            "updated_at",
            "signed_at",
            "completed_at",
            "comparable_consent_buyer_at",
            "comparable_consent_seller_at",
        ]


class MessageSerializer(StrictModelSerializer):
    author = StrictCharField(source="author.__str__", default="")
    attachment_url = StrictCharField(source="get_attachment_url")

    class Meta:
        model = Message
        fields = ["id", "author", "side", "body", "attachment_name", "attachment_url", "created_at"]


class MilestoneInSerializer(StrictSerializer):
    label = StrictCharField(max_length=300)
    amount_vnd = serializers.IntegerField(min_value=0)
    due = serializers.DateField(required=False, allow_null=True)


class TermsInSerializer(StrictSerializer):
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices)
    field_of_use = StrictCharField()
    territory = StrictCharField(max_length=300)
    term_months = serializers.IntegerField(min_value=1)
    upfront_fee_vnd = serializers.IntegerField(min_value=0, default=0)
    milestones = MilestoneInSerializer(many=True, required=False)
    royalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=0
    )
    minimum_annual_royalty_vnd = serializers.IntegerField(min_value=0, default=0)
    improvements = StrictCharField(required=False, allow_blank=True, default="")
    support_training = StrictCharField(required=False, allow_blank=True, default="")
    other_terms = StrictCharField(required=False, allow_blank=True, default="")

    def to_terms(self) -> dict:
        data = dict(self.validated_data)
        data["milestones"] = [
            {
                "label": m["label"],
                "amount_vnd": m["amount_vnd"],
                "due": m["due"].isoformat() if m.get("due") else "",
            }
            for m in data.get("milestones", [])
        ]
        return data


class TermSheetSerializer(StrictModelSerializer):
    changes = serializers.SerializerMethodField()

    class Meta:
        model = TermSheet
        fields = [
            "id",
            "version",
            "transaction_type",
            "field_of_use",
            "territory",
            "term_months",
            "upfront_fee_vnd",
            "milestones",
            "royalty_percent",
            "minimum_annual_royalty_vnd",
            "improvements",
            "support_training",
            "other_terms",
            "proposed_side",
            "created_at",
            "buyer_accepted_at",
            "seller_accepted_at",
            "terms_sha256",
            "changes",
        ]

    def get_changes(self, obj) -> list[dict]:
        previous = self.context.get("previous", {}).get(obj.pk)
        return [{"field": c["field"], "before": c["before"], "after": c["after"]} for c in obj.diff(previous)]


class SignatureSerializer(StrictModelSerializer):
    organization = StrictCharField(source="organization.name")

    class Meta:
        model = Signature
        fields = [
            "id",
            "side",
            "user_name",
            "organization",
            "method",
            "document_sha256",
            "signed_at",
            "voided_at",
            "certificate_subject",
            "certificate_issuer",
            "certificate_serial",
            "certificate_signing_time",
            "signed_pdf_sha256",
        ]


class ContractSerializer(StrictModelSerializer):
    signatures = SignatureSerializer(many=True)
    term_sheet_version = serializers.IntegerField(source="term_sheet.version")
    integrity_ok = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "language",
            "term_sheet_version",
            "sha256",
            "terms_sha256",
            "integrity_ok",
            "registration_required",
            "registration",
            "created_at",
            "signatures",
            "content_html",
        ]

    def get_integrity_ok(self, obj) -> bool:
        return not obj.integrity_errors()


class InquiryInSerializer(StrictSerializer):
    listing = serializers.IntegerField()
    organization = serializers.IntegerField()
    message = StrictCharField(max_length=10_000)


class ReasonInSerializer(StrictSerializer):
    reason = StrictCharField(required=False, allow_blank=True, default="")


class AcceptInSerializer(StrictSerializer):
    nda_template = serializers.IntegerField(required=False, allow_null=True)


class NdaInSerializer(StrictSerializer):
    text_sha256 = StrictCharField(max_length=64)


class MessageInSerializer(StrictSerializer):
    body = StrictCharField(max_length=10_000)
    attachment = serializers.FileField(required=False)


class AcceptTermsInSerializer(StrictSerializer):
    term_sheet = serializers.IntegerField()


class ContractInSerializer(StrictSerializer):
    language = serializers.ChoiceField(choices=[("vi", "vi"), ("en", "en")], default="vi")


SIDE_HELP = "`buyer` or `seller`; needed only if you may sign for both organisations."


class SignInSerializer(StrictSerializer):
    password = StrictCharField(required=False, help_text="Your account password, or:")
    code = StrictCharField(required=False, help_text="The 6-digit code emailed by `POST …/signature-code/`.")
    side = StrictCharField(required=False, help_text=SIDE_HELP)

    def validate(self, attrs):
        if bool(attrs.get("password")) == bool(attrs.get("code")):
            raise serializers.ValidationError("Send either `password` or `code`.")
        return attrs


class SideInSerializer(StrictSerializer):
    side = StrictCharField(required=False, help_text=SIDE_HELP)


class SignatureCodeSerializer(StrictSerializer):
    side = StrictCharField()
    expires_at = serializers.DateTimeField()
    max_attempts = serializers.IntegerField()


class CertificateSignInSerializer(StrictSerializer):
    signed_pdf = serializers.FileField(
        help_text="The PDF from `GET …/signing-pdf/`, signed (incrementally) with your digital certificate."
    )
    side = StrictCharField(required=False, help_text=SIDE_HELP)


class RatingInSerializer(StrictSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class RatingSerializer(StrictModelSerializer):
    class Meta:
        model = DealRating
        fields = ["id", "side", "score", "comment", "created_at"]


class ConsentInSerializer(StrictSerializer):
    consent = serializers.BooleanField(default=True)
    side = StrictCharField(required=False, help_text=SIDE_HELP)


class CompleteInSerializer(StrictSerializer):
    final_value_vnd = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class BrokerInSerializer(StrictSerializer):
    broker = serializers.IntegerField()
