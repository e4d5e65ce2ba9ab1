"""Routes of the support API; the lead registers ``ServiceRequestViewSet`` on the v1 router in
exchange/api_urls.py::

    router.register("support/requests", ServiceRequestViewSet, basename="service-request")
"""

from rest_framework.routers import SimpleRouter

from .api import ServiceRequestViewSet

router = SimpleRouter()
router.register("support/requests", ServiceRequestViewSet, basename="service-request")
urlpatterns = router.urls
