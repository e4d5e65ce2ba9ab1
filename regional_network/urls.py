"""Mounted outside the language prefix (machines, not people): see ``federation_urlpatterns``."""

from django.urls import path

from . import oai, views

urlpatterns = [
    path("federation/v1/changes", views.changes, name="federation-changes"),
    path("federation/v1/listings/<path:ref>", views.listing, name="federation-listing"),
    path("federation/v1/inventory", views.inventory, name="federation-inventory"),
    path("federation/v1/notify", views.notify, name="federation-notify"),
    path("federation/v1/inquiries", views.inquiries, name="federation-inquiries"),
    path(
        "federation/v1/inquiries/<str:callback_id>/status",
        views.inquiry_status,
        name="federation-inquiry-status",
    ),
    path("oai", oai.endpoint, name="oai"),
    path("oai/techex-1.xsd", oai.techex_xsd, name="oai-techex-xsd"),
]
