"""Site-wide files without a language prefix; included from exchange/urls.py before i18n_patterns."""

from django.urls import path
from django.views.decorators.cache import cache_page

from . import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", cache_page(3600)(views.sitemap), name="sitemap"),
    # Before exchange.urls' "i18n/" include, so it answers /i18n/setlang/ (see views.set_language).
    path("i18n/setlang/", views.set_language, name="set_language"),
]
