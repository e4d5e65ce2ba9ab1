from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("privacy/", views.privacy, name="privacy"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
    path("memberships/", views.memberships, name="memberships"),
    path("organizations/new/", views.organization_new, name="organization_new"),
    path("organizations/<int:pk>/members/", views.organization_members, name="organization_members"),
]
