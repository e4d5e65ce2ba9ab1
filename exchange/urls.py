from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from exchange import health
from exchange.payments import views as payments_views

urlpatterns = [
    path("", include("cms.urls")),  # robots.txt, sitemap.xml, i18n/setlang/ that keeps the page
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("exchange.api_urls")),
    path("health/search/", health.search_health, name="health-search"),
    path("payments/stripe/webhook/", payments_views.stripe_webhook, name="payments-stripe-webhook"),
    path("", include("regional_network.urls")),  # /federation/v1/…, /oai (no language prefix)
]

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("account/", include("exchange.accounts.urls")),
    path("notifications/", include("exchange.core.urls")),
    path("listings/", include("listings.urls")),
    path("portal/valuations/", include("valuation.urls")),
    path("portal/federation/", include("regional_network.portal_urls")),
    path("portal/", include("exchange.portal.urls")),
    path("deals/", include("exchange.deals.urls")),
    path("support/", include("exchange.support.urls")),
    path("payments/", include("exchange.payments.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

# JSON {"detail": …} under /api/, the site's HTML pages elsewhere (see exchange/errors.py).
handler400 = "exchange.errors.bad_request"
handler403 = "exchange.errors.permission_denied"
handler404 = "exchange.errors.page_not_found"
handler500 = "exchange.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
