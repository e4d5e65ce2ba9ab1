"""Partner API for the deal room (``/api/v1/deals/``): the whole flow, for partners and regional exchanges.

Thin: reads through ``exchange.deals.selectors`` (a deal you are not part of is 404; its messages, terms,
contract and signing PDF are 403 for an assigned broker who has not accepted its NDA), writes through
``exchange.deals.services``; refusals become 403 (not your role), 409 (not from this state) or 400.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from exchange.accounts.models import Organization
from exchange.api import Pagination, ServiceErrorsMixin, error_responses
from listings.models import Listing

from . import permissions as dperms
from . import selectors, services
from . import serializers as s
from .models import Deal, NdaTemplate, TermSheet

ERRORS = error_responses(400, 401, 403, 404, 409)
#: Opening deals and posting messages are rate-limited per person (settings.RATE_LIMITS).
LIMITED = error_responses(400, 401, 403, 404, 409, 429)


class DealViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """Deals you are part of (your organisations', those you broker; staff: all)."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    serializer_class = s.DealSerializer
    queryset = Deal.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.deals_for_user(self.request.user)

    def get_object(self) -> Deal:
        deal = selectors.deal_for_user(user=self.request.user, pk=int(self.kwargs["pk"]))
        if deal is None:
            from django.http import Http404

            raise Http404
        return deal

    def _confidential_object(self) -> Deal:
        """The deal for its confidential parts (messages, terms, contract, signing PDF): 403 for an
        assigned broker whose NDA is outstanding (``broker-accept-nda`` first)."""
        deal = self.get_object()
        if not dperms.can_view_confidential(self.request.user, deal):
            raise exceptions.PermissionDenied(str(services.BROKER_NDA_FIRST))
        return deal

    def _serialize(self, deal_or_deals, *, many=False):
        """Deals as ``DealSerializer`` data; the value is null on deals whose NDA this broker has not
        accepted (it comes from the confidential terms)."""
        deals = list(deal_or_deals) if many else [deal_or_deals]
        hidden = selectors.broker_nda_outstanding_ids(user=self.request.user, deal_ids=[d.pk for d in deals])
        data = s.DealSerializer(deals, many=True).data
        for row in data:
            if row["id"] in hidden:
                row["value_vnd"] = None
        return data if many else data[0]

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _deal(self, deal: Deal, code=status.HTTP_200_OK) -> Response:
        deal = selectors.deal_for_user(user=self.request.user, pk=deal.pk) or deal
        return Response(self._serialize(deal), status=code)

    @extend_schema(
        summary="Deals you are part of",
        responses={200: s.DealSerializer(many=True), **error_responses(401)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._serialize(page, many=True))

    @extend_schema(summary="One deal", responses={200: s.DealSerializer, **ERRORS})
    def retrieve(self, request, pk=None):
        return Response(self._serialize(self.get_object()))

    @extend_schema(
        summary="Express interest in a published listing (opens a deal)",
        request=s.InquiryInSerializer,
        responses={201: s.DealSerializer, **LIMITED},
    )
    def create(self, request):
        data = self._input(s.InquiryInSerializer)
        listing = get_object_or_404(Listing, pk=data["listing"])
        organization = get_object_or_404(Organization, pk=data["organization"])
        deal = services.deal_create_inquiry(
            actor=request.user, listing=listing, organization=organization, message=data["message"]
        )
        return self._deal(deal, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept the conversation (optionally requiring an NDA)",
        request=s.AcceptInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        deal = self.get_object()
        template_id = self._input(s.AcceptInSerializer).get("nda_template")
        template = get_object_or_404(NdaTemplate, pk=template_id) if template_id else None
        return self._deal(services.deal_accept(actor=request.user, deal=deal, nda_template=template))

    @extend_schema(
        summary="Decline the conversation",
        request=s.ReasonInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        deal = self.get_object()
        reason = self._input(s.ReasonInSerializer)["reason"]
        return self._deal(services.deal_decline(actor=request.user, deal=deal, reason=reason))

    @extend_schema(
        summary="Open negotiation without an NDA", request=None, responses={200: s.DealSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="open-negotiation")
    def open_negotiation(self, request, pk=None):
        return self._deal(services.deal_open_negotiation(actor=request.user, deal=self.get_object()))

    @extend_schema(
        summary="Accept the NDA (send the SHA-256 of the text you were shown)",
        request=s.NdaInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="accept-nda")
    def accept_nda(self, request, pk=None):
        deal = self.get_object()
        services.deal_accept_nda(
            actor=request.user, deal=deal, text_sha256=self._input(s.NdaInSerializer)["text_sha256"]
        )
        return self._deal(deal)

    @extend_schema(
        methods=["get"],
        summary="Messages of the room",
        responses={200: s.MessageSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["post"],
        summary="Post a message",
        request=s.MessageInSerializer,
        responses={201: s.MessageSerializer, **LIMITED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, as documented
    def messages(self, request, pk=None):
        deal = self.get_object()
        if request.method == "GET":
            deal = self._confidential_object()
            return Response(s.MessageSerializer(selectors.deal_room(deal)["thread"], many=True).data)
        data = self._input(s.MessageInSerializer)
        message = services.deal_send_message(
            actor=request.user, deal=deal, body=data["body"], attachment=data.get("attachment")
        )
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["get"],
        summary="Term sheet versions, newest first, with what changed",
        responses={200: s.TermSheetSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["post"],
        summary="Propose a new version of the terms",
        request=s.TermsInSerializer,
        responses={201: s.TermSheetSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, as documented
    def terms(self, request, pk=None):
        deal = self.get_object()
        if request.method == "GET":
            deal = self._confidential_object()
            sheets = list(TermSheet.objects.filter(deal=deal))
            previous = {
                sheet.pk: (sheets[i + 1] if i + 1 < len(sheets) else None) for i, sheet in enumerate(sheets)
            }
            return Response(s.TermSheetSerializer(sheets, many=True, context={"previous": previous}).data)
        serializer = s.TermsInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sheet = services.deal_propose_terms(actor=request.user, deal=deal, terms=serializer.to_terms())
        previous = TermSheet.objects.filter(deal=deal, version=sheet.version - 1).first()
        return Response(
            s.TermSheetSerializer(sheet, context={"previous": {sheet.pk: previous}}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Accept the latest version of the terms",
        request=s.AcceptTermsInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="accept-terms")
    def accept_terms(self, request, pk=None):
        deal = self.get_object()
        sheet = get_object_or_404(
            TermSheet, pk=self._input(s.AcceptTermsInSerializer)["term_sheet"], deal=deal
        )
        services.deal_accept_terms(actor=request.user, deal=deal, term_sheet=sheet)
        return self._deal(deal)

    @extend_schema(
        methods=["get"], summary="The live contract", responses={200: s.ContractSerializer, **ERRORS}
    )
    @extend_schema(
        methods=["post"],
        summary="Generate the contract from the agreed terms",
        request=s.ContractInSerializer,
        responses={201: s.ContractSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def contract(self, request, pk=None):
        deal = self.get_object()
        if request.method == "GET":
            deal = self._confidential_object()
            contract = selectors.deal_room(deal)["contract"]
            if contract is None:
                from django.http import Http404

                raise Http404
            return Response(s.ContractSerializer(contract).data)
        language = self._input(s.ContractInSerializer)["language"]
        contract = services.deal_generate_contract(actor=request.user, deal=deal, language=language)
        return Response(s.ContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Sign the contract (authorised signatory; account password or emailed one-time code)",
        request=s.SignInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        deal = self.get_object()
        data = self._input(s.SignInSerializer)
        if data.get("code"):
            services.deal_sign_with_code(
                actor=request.user, deal=deal, code=data["code"], side=data.get("side")
            )
        else:
            services.deal_sign(
                actor=request.user, deal=deal, password=data["password"], side=data.get("side")
            )
        return self._deal(deal)

    @extend_schema(
        summary="Email yourself a one-time code to sign with (6 digits, 10 minutes, 5 tries)",
        request=s.SideInSerializer,
        responses={201: s.SignatureCodeSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="signature-code")
    def signature_code(self, request, pk=None):
        deal = self.get_object()
        record = services.deal_request_signature_code(
            actor=request.user, deal=deal, side=self._input(s.SideInSerializer).get("side")
        )
        body = {"side": record.side, "expires_at": record.expires_at, "max_attempts": record.MAX_ATTEMPTS}
        return Response(s.SignatureCodeSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The contract PDF to sign with a digital certificate (always the same bytes)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="signing-pdf")
    def signing_pdf(self, request, pk=None):
        from django.http import Http404, HttpResponse

        from .pdf import PdfUnavailable

        contract = selectors.deal_room(self._confidential_object())["contract"]
        if contract is None:
            raise Http404
        try:
            data = services.contract_signing_pdf(contract=contract)
        except PdfUnavailable as exc:
            raise Http404 from exc
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="contract-{contract.pk}.pdf"'
        return response

    @extend_schema(
        summary="Sign by uploading the signing PDF signed with a digital certificate (checked with pyHanko)",
        request={"multipart/form-data": s.CertificateSignInSerializer},
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="sign-certificate",
        parser_classes=[MultiPartParser, FormParser],
    )
    def sign_certificate(self, request, pk=None):
        from .certsign import MAX_SIGNED_PDF_BYTES

        deal = self.get_object()
        data = self._input(s.CertificateSignInSerializer)
        upload = data["signed_pdf"]
        if upload.size > MAX_SIGNED_PDF_BYTES:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"signed_pdf": [_("Tệp quá lớn.")]})
        services.deal_sign_certificate(
            actor=request.user, deal=deal, signed_pdf=upload.read(), side=data.get("side")
        )
        return self._deal(deal)

    @extend_schema(
        summary="Accept the deal's NDA as the assigned broker (opens the confidential files to you)",
        request=s.NdaInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="broker-accept-nda")
    def broker_accept_nda(self, request, pk=None):
        deal = self.get_object()
        services.deal_broker_accept_nda(
            actor=request.user, deal=deal, text_sha256=self._input(s.NdaInSerializer)["text_sha256"]
        )
        return self._deal(deal)

    @extend_schema(
        methods=["get"],
        summary="Ratings of the deal",
        responses={200: s.RatingSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["post"],
        summary="Rate the completed deal (once per side)",
        request=s.RatingInSerializer,
        responses={201: s.RatingSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, as documented
    def ratings(self, request, pk=None):
        deal = self.get_object()
        if request.method == "GET":
            return Response(s.RatingSerializer(selectors.deal_room(deal)["ratings"], many=True).data)
        data = self._input(s.RatingInSerializer)
        rating = services.deal_rate(
            actor=request.user, deal=deal, score=data["score"], comment=data["comment"]
        )
        return Response(s.RatingSerializer(rating).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Give or withdraw your side's consent to anonymised use as a valuation comparable",
        request=s.ConsentInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="comparable-consent")
    def comparable_consent(self, request, pk=None):
        deal = self.get_object()
        data = self._input(s.ConsentInSerializer)
        return self._deal(
            services.deal_consent_comparable(
                actor=request.user, deal=deal, consent=data["consent"], side=data.get("side")
            )
        )

    @extend_schema(
        summary="Start executing the signed contract",
        request=None,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="start-execution")
    def start_execution(self, request, pk=None):
        return self._deal(services.deal_start_execution(actor=request.user, deal=self.get_object()))

    @extend_schema(
        summary="Complete the deal with its final value",
        request=s.CompleteInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        deal = self.get_object()
        value = self._input(s.CompleteInSerializer).get("final_value_vnd")
        return self._deal(services.deal_complete(actor=request.user, deal=deal, final_value_vnd=value))

    @extend_schema(
        summary="Cancel the deal", request=s.ReasonInSerializer, responses={200: s.DealSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        deal = self.get_object()
        return self._deal(
            services.deal_cancel(
                actor=request.user, deal=deal, reason=self._input(s.ReasonInSerializer)["reason"]
            )
        )

    @extend_schema(
        summary="Assign a broker (staff)",
        request=s.BrokerInSerializer,
        responses={200: s.DealSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="assign-broker")
    def assign_broker(self, request, pk=None):
        deal = self.get_object()
        broker = get_object_or_404(get_user_model(), pk=self._input(s.BrokerInSerializer)["broker"])
        return self._deal(services.deal_assign_broker(actor=request.user, deal=deal, broker=broker))
