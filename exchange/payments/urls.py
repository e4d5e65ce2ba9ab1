"""Payment pages, mounted under the language prefix at ``payments/``. The Stripe webhook is not here: it
is mounted without a language prefix (see ``webhook_urlpatterns``)."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("deal/<int:deal_pk>/milestones/<int:milestone_pk>/request/", views.request_payment, name="request"),
    path("service-quote/<int:quote_pk>/pay/", views.pay_service_quote, name="pay_service_quote"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/import/", views.statement_import, name="statement_import"),
    path("staff/import/<int:pk>/", views.statement, name="statement"),
    path("staff/ledger/", views.ledger, name="ledger"),
    path("staff/invoices.csv", views.invoices_export, name="invoices_export"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/qr.svg", views.qr, name="qr"),
    path("<str:reference>/card/", views.card, name="card"),
    path("<str:reference>/card/confirm/", views.card_confirm, name="card_confirm"),
    path("<str:reference>/confirm-receipt/", views.confirm_receipt, name="confirm_receipt"),
    path("<str:reference>/cancel/", views.cancel, name="cancel"),
    path("<str:reference>/invoice/", views.invoice, name="invoice"),
]

#: For exchange/urls.py, outside ``i18n_patterns``: Stripe posts to one fixed URL.
webhook_urlpatterns = [
    path("payments/stripe/webhook/", views.stripe_webhook, name="payments-stripe-webhook"),
]
