from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("listing/<int:listing_pk>/inquire/", views.inquiry_create, name="inquire"),
    path("<int:pk>/", views.room, name="room"),
    path("<int:pk>/messages/", views.message_post, name="message_post"),
    path("<int:pk>/terms/", views.terms_propose, name="terms_propose"),
    path("<int:pk>/contract/", views.contract_view, name="contract"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/sign/code/", views.signature_code, name="signature_code"),
    path("<int:pk>/sign/certificate/", views.sign_certificate, name="sign_certificate"),
    path("<int:pk>/signatures/<int:signature_pk>/pdf/", views.signature_pdf, name="signature_pdf"),
    path("<int:pk>/milestones/<int:milestone_pk>/done/", views.milestone_done, name="milestone_done"),
    path("<int:pk>/do/<str:name>/", views.action, name="action"),
    path("messages/<int:pk>/attachment/", views.message_attachment, name="message_attachment"),
]
