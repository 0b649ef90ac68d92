from django.urls import path

from mofan.indicators import views, views_doc_import

app_name = "indicators"
urlpatterns = [
    path("", views.system_list, name="system_list"),
    path("upload/", views.upload, name="upload"),
    path("from-document/", views_doc_import.from_document, name="from_document"),
    path("from-document/accept/", views_doc_import.accept_document, name="accept_document"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/nodes/add/", views.node_add, name="node_add"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("versions/<int:pk>/clone/", views.version_clone, name="version_clone"),
    path("versions/<int:pk>/diff/", views.version_diff, name="version_diff"),
    path(
        "versions/<int:pk>/export.yaml",
        views.version_export,
        {"fmt": "yaml"},
        name="version_export_yaml",
    ),
    path(
        "versions/<int:pk>/export.xlsx",
        views.version_export,
        {"fmt": "xlsx"},
        name="version_export_xlsx",
    ),
    path("nodes/<int:pk>/points/", views.node_points, name="node_points"),
    path("nodes/<int:pk>/edit/", views.node_edit, name="node_edit"),
    path("nodes/<int:pk>/delete/", views.node_delete, name="node_delete"),
    path("nodes/<int:pk>/move/", views.node_move, name="node_move"),
]
