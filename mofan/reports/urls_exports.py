"""Exports and background jobs (namespace `reports`, mounted at /reports/)."""

from django.urls import URLPattern, path

from mofan.reports import views_documents, views_issuing
from mofan.reports import views_exports as views

urlpatterns: list[URLPattern] = [
    path("campaigns/<int:pk>/exports/", views.exports, name="exports"),
    path("exports/mine/", views.my_exports, name="my_exports"),
    path(
        "programmes/<int:pk>/document/",
        views_documents.programme_document,
        name="programme_document",
    ),
    path("campaigns/<int:pk>/drafts/new/", views_issuing.draft_create, name="draft_create"),
    path(
        "programmes/<int:pk>/drafts/new/",
        views_issuing.programme_draft_create,
        name="programme_draft_create",
    ),
    path("drafts/", views_issuing.draft_list, name="drafts"),
    path("drafts/<int:pk>/", views_issuing.draft_detail, name="draft"),
    path("drafts/<int:pk>/issue/", views_issuing.draft_issue, name="draft_issue"),
    path("registers/<int:pk>/", views_issuing.register_update, name="register_update"),
    path("issued/", views_issuing.issued_list, name="issued"),
    path(
        "issued/<int:pk>/docx/",
        views_issuing.issued_download,
        {"fmt": "docx"},
        name="issued_docx",
    ),
    path("issued/<int:pk>/pdf/", views_issuing.issued_download, {"fmt": "pdf"}, name="issued_pdf"),
    path("case-calls/<int:pk>/document/", views_documents.call_document, name="call_document"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
]
