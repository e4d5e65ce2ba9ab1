"""Routes of the valuation API; the lead mounts them under /api/v1/ in exchange/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CalculateView, ValuationViewSet

router = SimpleRouter()
router.register("valuations", ValuationViewSet, basename="valuation")

urlpatterns = [
    path("valuations/calculate/", CalculateView.as_view(), name="valuation-calculate"),
    *router.urls,
]
