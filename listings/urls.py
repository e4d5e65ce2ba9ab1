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
    # matching, introductions, saved searches, suggestions (issue #5)
    path("<int:pk>/matches/", views.listing_matches, name="matches"),
    path("introduce/", views.introduce, name="introduce"),
    path("introductions/", views.introductions, name="introductions"),
    path("saved-searches/", views.saved_searches, name="saved_searches"),
    path("saved-searches/new/", views.saved_search_create, name="saved_search_create"),
    path("saved-searches/<int:pk>/run/", views.saved_search_run, name="saved_search_run"),
    path("suggest/", views.suggest, name="suggest"),
]
