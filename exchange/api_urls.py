"""The partner API (issue #4): OpenAPI schema, interactive docs and the v1 routes (mounted at /api/)."""

from types import SimpleNamespace

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from exchange.accounts.api import TokenObtainView, TokenViewSet
from exchange.api import NotFoundView
from exchange.deals.api import DealViewSet
from exchange.support.api import ServiceRequestViewSet
from listings.api import RequestViewSet, TechnologyViewSet

app_name = "api"

router = SimpleRouter()
router.register("technologies", TechnologyViewSet, basename="technology")
router.register("requests", RequestViewSet, basename="request")
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("deals", DealViewSet, basename="deal")
router.register("support/requests", ServiceRequestViewSet, basename="service-request")

v1_patterns = [
    path("v1/auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("v1/", include(router.urls)),
    path("v1/", include("valuation.api_urls")),
    path("v1/", include("exchange.payments.api_urls")),
]

# The schema describes this API only (not Wagtail's admin API), with its real /api/ prefix.
schema_urlconf = SimpleNamespace(urlpatterns=[path("api/", include((v1_patterns, "api")))])

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(urlconf=schema_urlconf), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *v1_patterns,
    re_path(r"^(?:.*/)?$", NotFoundView.as_view(), name="not-found"),  # last: other paths under /api/
]
