"""Exports and background jobs (namespace `reports`, mounted at /reports/)."""

from django.urls import URLPattern, path

from mofan.reports import views_documents
from mofan.reports import views_exports as views

urlpatterns: list[URLPattern] = [
    path("campaigns/<int:pk>/exports/", views.exports, name="exports"),
    path("exports/mine/", views.my_exports, name="my_exports"),
    path(
        "programmes/<int:pk>/document/",
        views_documents.programme_document,
        name="programme_document",
    ),
    path("case-calls/<int:pk>/document/", views_documents.call_document, name="call_document"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
