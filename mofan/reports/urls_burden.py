"""减负统计 (namespace `reports`, mounted at /reports/)."""

from django.urls import URLPattern, path

from mofan.reports import views_burden

urlpatterns: list[URLPattern] = [
    path("burden/", views_burden.burden_index, name="burden"),
    path("burden/<int:pk>/", views_burden.burden_campaign, name="burden_campaign"),
]
