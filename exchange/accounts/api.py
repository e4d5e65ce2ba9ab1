"""Partner API: obtain, list and revoke API tokens (``/api/v1/auth/…``)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from exchange.api import (
    ServiceErrorsMixin,
    StrictCharField,
    StrictModelSerializer,
    StrictSerializer,
    error_responses,
)

from . import tokens
from .models import ApiToken


class TokenObtainSerializer(StrictSerializer):
    email = serializers.EmailField()
    password = StrictCharField(trim_whitespace=False, style={"input_type": "password"})
    name = StrictCharField(
        required=False, allow_blank=True, max_length=100, help_text="A label, e.g. the partner system's name."
    )


class TokenIssuedSerializer(StrictModelSerializer):
    token = StrictCharField(help_text="The secret. Shown only now; store it safely.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "token"]


class TokenSerializer(StrictModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]


class TokenObtainThrottle(AnonRateThrottle):
    """Password guessing through the API is slowed like the sign-in form (``API_TOKEN_OBTAIN_RATE``)."""

    scope = "api_token_obtain"

    def get_rate(self):
        return getattr(settings, "API_TOKEN_OBTAIN_RATE", "10/minute")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenObtainView(ServiceErrorsMixin, APIView):
    """Exchange an email and password for a new named API token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenObtainThrottle]
    parser_classes = [JSONParser, FormParser]  # JSON, or a form post (``curl -d email=… -d password=…``)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenObtainSerializer,
        responses={201: TokenIssuedSerializer, **error_responses(400, 403, 429)},
        auth=[],
        description=(
            "Returns a new token (201). Wrong email or password: 400 with one generic message. "
            "Inactive accounts cannot sign in; an account whose email is not verified: 403. "
            "Too many requests, or sign-in locked after repeated wrong passwords for this email from "
            "this address (the same lockout as the sign-in form): 429 with `Retry-After`. "
            "Use it as `Authorization: Token <token>`."
        ),
    )
    def post(self, request):
        data = TokenObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = tokens.api_token_credentials_check(
            email=data.validated_data["email"], password=data.validated_data["password"], request=request
        )
        token, key = tokens.api_token_create(user=user, name=data.validated_data.get("name", ""))
        token.token = key
        return Response(TokenIssuedSerializer(token).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class TokenViewSet(
    ServiceErrorsMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's API tokens (never their secrets)."""

    serializer_class = TokenSerializer
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    filter_backends: list = []
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        return tokens.api_tokens_of_user(self.request.user)

    @extend_schema(responses={200: TokenSerializer(many=True), **error_responses(401)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={204: None, **error_responses(401, 404)},
        description="Revoke one of your tokens; it stops working at once. Someone else's token id: 404.",
    )
    def destroy(self, request, *args, **kwargs):
        token = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        tokens.api_token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
