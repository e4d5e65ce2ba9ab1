"""Django's error handlers (``handler400/403/404/500`` in ``exchange.urls``): JSON under /api/.

DRF answers its own errors as ``{"detail": …}``, but a request that never reaches a DRF view (a path no
pattern matches, e.g. an id with a newline that even the API's catch-all cannot route; an exception DRF
re-raises; a ``SuspiciousOperation`` before the view) falls through to Django's handlers, whose HTML pages
a partner's client cannot parse and the OpenAPI schema does not document. Under /api/ these handlers answer
the same body DRF would (DRF's own translated messages for 403 and 404; ours for 400 and 500, which DRF
has no Vietnamese for: Vietnamese by default, English with ``Accept-Language: en``); everywhere else they
keep the site's HTML pages.

(405 is not a handler in Django: every view under /api/ is a DRF view, which answers 405 as JSON itself.)
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _api_error(request, status: int, detail) -> JsonResponse:
    # LocaleMiddleware would turn a non-prefixed 404 into a redirect to /vi/<path> when that resolves
    # (Wagtail's page route resolves almost anything); judged against the API's own urlconf it stays a 404,
    # as ``exchange.api.ServiceErrorsMixin`` does for the API's views.
    request.urlconf = "exchange.api_urls"
    return JsonResponse({"detail": str(detail)}, status=status)


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if _is_api(request):
        return _api_error(request, 400, _("Yêu cầu không hợp lệ."))
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if _is_api(request):
        return _api_error(request, 403, exceptions.PermissionDenied.default_detail)
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if _is_api(request):
        return _api_error(request, 404, exceptions.NotFound.default_detail)
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    if _is_api(request):
        return _api_error(request, 500, _("Lỗi máy chủ; vui lòng thử lại sau."))
    return defaults.server_error(request, template_name)
