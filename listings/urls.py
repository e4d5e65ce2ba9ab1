from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("attachment/<int:pk>/", views.attachment_download, name="attachment"),
    path("technologies/", views.technology_list, name="technology_list"),
    path("technologies/<int:pk>/", views.technology_detail, name="technology_detail"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/save/", views.save_toggle, name="save_toggle"),
    path("<int:pk>/interest/", views.express_interest, name="express_interest"),
    path("organisations/<slug:ref>/", views.organization_detail, name="organization_detail"),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/<slug:slug>/", views.expert_detail, name="expert_detail"),
]
