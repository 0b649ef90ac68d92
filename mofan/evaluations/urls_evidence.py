"""Evidence store (佐证材料) URLs, included at ``evidence/``."""

from django.urls import path

from mofan.evaluations import evidence_views as views

app_name = "evidence"
urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("link/", views.link, name="link"),
    path("unlink/", views.unlink, name="unlink"),
    path("enrollments/<int:pk>/", views.enrollment_evidence, name="enrollment"),
]
