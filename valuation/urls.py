"""The valuation workspace; the lead mounts it at /portal/valuations/ inside i18n_patterns."""

from django.urls import path

from . import views

app_name = "valuation"

urlpatterns = [
    path("", views.valuation_list, name="list"),
    path("new/", views.valuation_create, name="create"),
    path("comparables/", views.comparables, name="comparables"),
    path("reports/<int:pk>/", views.published_report, name="published_report"),
    path("reports/<int:pk>/pdf/", views.published_report, {"fmt": "pdf"}, name="published_report_pdf"),
    path("<int:pk>/", views.valuation_detail, name="detail"),
    path("<int:pk>/versions/", views.version_save, name="version_save"),
    path("<int:pk>/compare/", views.version_compare, name="compare"),
    path("<int:pk>/report/", views.report_html, name="report"),
    path("<int:pk>/report/pdf/", views.report_pdf, name="report_pdf"),
    path("<int:pk>/share/", views.share, name="share"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/assign/", views.assign_appraiser, name="assign"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
