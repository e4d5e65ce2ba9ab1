"""People's pages of the regional network; mounted by the project under ``<lang>/portal/federation/``."""

from django.urls import path

from . import portal_views as views

app_name = "federation"

urlpatterns = [
    path("inquire/<int:listing_pk>/", views.inquire, name="inquire"),
    path("inquiries/", views.inquiry_list, name="inquiries"),
    path("inquiries/sent/<int:pk>/", views.sent_detail, name="sent_detail"),
    path("inquiries/received/<int:pk>/", views.received_detail, name="received_detail"),
    path("inquiries/received/<int:pk>/<str:decision>/", views.received_decide, name="received_decide"),
]
