"""Routes of the deals API; the lead registers ``DealViewSet`` on the v1 router in exchange/api_urls.py."""

from rest_framework.routers import SimpleRouter

from .api import DealViewSet

router = SimpleRouter()
router.register("deals", DealViewSet, basename="deal")
urlpatterns = router.urls
