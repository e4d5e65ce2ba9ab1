"""The deals API mounted as it will be under /api/v1/ (until the lead registers it in exchange/api_urls.py),
in front of the site's own routes (notifications link to the deal room)."""

from django.urls import include, path

from exchange.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("api/v1/", include("exchange.deals.api_urls")), *site_urlpatterns]
