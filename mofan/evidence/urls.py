"""Evidence file URLs: the part of the ``evidence`` namespace that needs nothing but the file.
`mofan.evaluations.urls_evidence` adds the library and the links to indicators."""

from django.urls import path

from mofan.evidence import views

app_name = "evidence"
urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
