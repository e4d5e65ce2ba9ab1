"""Routes of the payments API; the lead adds ``path("v1/", include("exchange.payments.api_urls"))`` to
``v1_patterns`` in exchange/api_urls.py."""

from django.urls import path

from .api import DealPaymentRequestList, PaymentRequestDetail

urlpatterns = [
    path(
        "deals/<int:deal_pk>/payment-requests/",
        DealPaymentRequestList.as_view(),
        name="deal-payment-requests",
    ),
    path("payment-requests/<str:reference>/", PaymentRequestDetail.as_view(), name="payment-request-detail"),
]
