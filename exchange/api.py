"""Pieces every partner API view shares: how service errors become HTTP answers, how those answers are
documented in the OpenAPI schema, and pagination.

Services raise Django's ``ValidationError`` / ``PermissionDenied`` and the listing lifecycle's
``WrongState`` / ``NotPermitted``; ``ServiceErrorsMixin`` turns them into 400 (field messages),
403, and 409 (a transition that does not exist from the current state), so views stay thin.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import QueryDict
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView


def validation_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``; errors not tied to a field go under ``non_field_errors``."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): [str(m) for m in msgs]
            for key, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


class ServiceErrorsMixin:
    """Map service exceptions to API responses (before DRF's handler would call them 500), and keep
    the API's 404s as 404s."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 404:
            # LocaleMiddleware turns a 404 under a non-prefixed path into a redirect to /vi/<path> when that
            # resolves — and Wagtail's catch-all page route resolves everything. Judging this response
            # against the API's own urlconf (no language prefixes) leaves a JSON 404 alone.
            request._request.urlconf = "exchange.api_urls"
        return response

    def handle_exception(self, exc):
        from exchange.core.ratelimit import RateLimited
        from exchange.core.statemachine import NotPermitted, WrongState

        if isinstance(exc, RateLimited):
            return super().handle_exception(
                exceptions.Throttled(wait=exc.retry_after, detail=exc.messages[0])
            )
        if isinstance(exc, WrongState):
            body = {
                "detail": " ".join(str(m) for m in exc.messages),
                "code": "wrong_state",
                "state": exc.state,
                "action": exc.action,
            }
            if hasattr(exc, "error_dict"):
                body["errors"] = validation_messages(exc)
            return Response(body, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, NotPermitted):
            exc = exceptions.PermissionDenied(str(exc.message))
        elif isinstance(exc, DjangoPermissionDenied) and exc.args:
            exc = exceptions.PermissionDenied(str(exc.args[0]))
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(validation_messages(exc))
        return super().handle_exception(exc)


class StrictCharField(serializers.CharField):
    """A text field that takes only JSON strings. DRF's ``CharField`` turns ``0`` or ``1.5`` into ``"0"``
    and ``"1.5"``, so a client that sends a number where the schema says string (a bug on its side) would
    be stored without a word; here it gets 400 "Not a valid string." for that field, as the schema says.
    Form and query values are always strings, so HTML forms and filters are unaffected."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _json_type_error(field: serializers.Field, value) -> object | None:
    """The message (or, for a list, messages by index) when a JSON value's type is not the one the
    schema documents for ``field``; None when it is, or when DRF's own parsing already decides."""
    if value is None:  # ``allow_null`` is DRF's to check
        return None
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        found = {i: _json_type_error(field.child, item) for i, item in enumerate(value)}
        return {i: e for i, e in found.items() if e is not None} or None
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, serializers.FloatField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(field, serializers.CharField):  # also Email, Slug, URL and Regex fields
        ok = isinstance(value, str)
    else:
        return None
    return None if ok else [field.error_messages["invalid"]]


class JsonTypesMixin:
    """A JSON body's values must have the types the schema documents: DRF reads ``"12"`` or ``12.0`` as
    the integer 12, ``"yes"`` or ``1`` as true and ``0`` as the text (or slug) ``"0"``, so a client's bug
    would be stored without a word. Here each such field gets its 400 message (schemathesis' negative
    checks, docs/api-fuzzing.md). Form and multipart bodies (a ``QueryDict``) carry only strings and keep
    DRF's reading, so HTML forms and uploads are unaffected."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {
                field.field_name: error
                for field in self._writable_fields
                if field.field_name in data
                and (error := _json_type_error(field, data[field.field_name])) is not None
            }
        else:
            errors = {}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:  # all of a body's messages at once, nested ones too
            if not errors:
                raise
            detail = (
                exc.detail
                if isinstance(exc.detail, dict)
                else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
            )
            raise exceptions.ValidationError({**detail, **errors}) from exc
        if errors:
            raise exceptions.ValidationError(errors)
        return value


class StrictSerializer(JsonTypesMixin, serializers.Serializer):
    """The base of the API's plain (input) serializers: JSON values of the documented types only."""


class StrictModelSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """The base of the API's model serializers: model text fields become ``StrictCharField`` and JSON
    values must have their documented types (``JsonTypesMixin``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class Pagination(PageNumberPagination):
    """``?page=N`` (a page past the end: 404) and ``?page_size=`` up to 100 (more is capped at 100).

    DRF ignores a ``page_size`` that is not a positive integer (the default size answers) and calls a
    page that is not a number "not found"; both are the client's mistake, so they get 400 with a message
    under the parameter's name, like any other invalid input."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    @staticmethod
    def _positive_integer(request, name):
        raw = request.query_params.get(name)
        if raw is None or raw == "":  # an empty parameter means "not given", as for the filters
            return None
        try:
            return serializers.IntegerField(min_value=1).run_validation(raw)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({name: exc.detail}) from exc

    def get_page_size(self, request):
        size = self._positive_integer(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            return paginator.num_pages
        try:
            int(raw or 1)
        except ValueError:
            self._positive_integer(request, self.page_query_param)  # raises the field message
        # A number below 1 or past the end stays a 404 (the page does not exist), as documented.
        return raw or 1


# --- documented error bodies ----------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Human-readable message (Vietnamese or English).")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`wrong_state`")
    state = serializers.CharField(help_text="The listing's current state.")
    action = serializers.CharField(help_text="The refused transition, e.g. `submit`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="When the listing is incomplete: what is missing, by field.",
    )


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Messages by field (`non_field_errors` for the rest); a body that cannot be parsed at "
    "all (malformed JSON or form data) gets a single `detail` message instead.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            # a nested object or a list's items: messages by key or index, e.g. {"methods": {"0": […]}}
            {"type": "object"},
        ]
    },
    "example": {"trl_min": ["Đảm bảo giá trị này nhỏ hơn hoặc bằng 9."]},
}

_ERRORS = {
    400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid input; messages by field."),
    401: OpenApiResponse(
        ErrorSerializer,
        description="No credentials, or an invalid/revoked token (`WWW-Authenticate: Token`).",
    ),
    403: OpenApiResponse(ErrorSerializer, description="Authenticated but not allowed."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, not visible to you, or page out of range."),
    409: OpenApiResponse(ConflictSerializer, description="Not possible from the listing's current state."),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many requests: wait for the number of seconds in `Retry-After`."
    ),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: _ERRORS[code] for code in codes}


def document_list_conventions(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) for what
    every paginated list does, so lists added later are documented without each view remembering it:

    - a page that is not a number or past the end answers 404 (DRF's ``PageNumberPagination``);
    - an optional query parameter sent empty (``?trl_max=``, as an HTML form sends it) means "not given"
      (DRF and django-filter skip empty values): ``allowEmptyValue``.
    """
    schemas = result.get("components", {}).get("schemas", {})
    error = (
        {"$ref": "#/components/schemas/Error"}
        if "Error" in schemas
        else {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    )
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            parameters = operation.get("parameters", [])
            if not any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                continue
            operation.setdefault("responses", {}).setdefault(
                "404",
                {
                    "description": "Not found, not visible to you, or page out of range.",
                    "content": {"application/json": {"schema": error}},
                },
            )
            # ``page``/``page_size`` that is not a positive integer: 400 with a message under its name.
            operation["responses"].setdefault(
                "400",
                {
                    "description": "Invalid input; messages by field.",
                    "content": {"application/json": {"schema": VALIDATION_ERROR_SCHEMA}},
                },
            )
            for parameter in parameters:
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


class NotFoundView(ServiceErrorsMixin, APIView):
    """Unknown paths under /api/ answer a JSON 404 (not a redirect to the site's /vi/… pages)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()
