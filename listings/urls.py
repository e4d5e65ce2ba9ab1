from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("attachment/<int:pk>/", views.attachment_download, name="attachment"),
]
