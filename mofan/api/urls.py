from django.urls import URLPattern, URLResolver, path

from mofan.api import views_docs
from mofan.api.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("docs/", views_docs.docs, name="api_docs"),
    path("", api.urls),
]
