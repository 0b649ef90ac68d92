"""The project's URLs plus the evidence store, for the evidence tests until (and after)
mofan/urls.py includes it at ``evidence/``."""

from django.urls import include, path

from mofan.urls import handler403, handler404, handler500
from mofan.urls import urlpatterns as project_urls

urlpatterns = list(project_urls)
if not any(getattr(p, "namespace", None) == "evidence" for p in urlpatterns):
    urlpatterns.append(path("evidence/", include("mofan.evaluations.urls_evidence")))

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
