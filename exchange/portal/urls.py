from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("listings/", views.my_listings, name="my_listings"),
    path("listings/new/<str:kind>/", views.listing_create, name="listing_create"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/media/", views.listing_media, name="listing_media"),
    path(
        "listings/<int:pk>/media/<str:which>/<int:item_pk>/delete/",
        views.media_remove,
        name="media_remove",
    ),
    path("listings/<int:pk>/stats/", views.listing_stats, name="listing_stats"),
    path("listings/<int:pk>/<str:action>/", views.listing_action, name="listing_action"),
    path("revisions/<int:pk>/<str:action>/", views.revision_action, name="revision_action"),
    path("saved/", views.saved_listings, name="saved"),
    path("tto/", views.tto_queue, name="tto_queue"),
    path("tto/organisations/<int:pk>/", views.organization_portfolio, name="portfolio"),
    path("tto/import/", views.bulk_import, name="bulk_import"),
    path("tto/import/template.xlsx", views.import_template, name="import_template"),
]
