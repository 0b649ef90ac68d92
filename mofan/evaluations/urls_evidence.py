"""Evidence store (佐证材料) URLs, included at ``evidence/``: the library and the links of files
to indicators, with `mofan.evidence.urls` (download, delete) in the same namespace."""

from django.urls import path

from mofan.evaluations import evidence_views as views
from mofan.evidence import urls as evidence_urls

app_name = "evidence"
urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    *evidence_urls.urlpatterns,
    path("choose/", views.choose, name="choose"),
    path("link/", views.link, name="link"),
    path("unlink/", views.unlink, name="unlink"),
    path("enrollments/<int:pk>/", views.enrollment_evidence, name="enrollment"),
]
