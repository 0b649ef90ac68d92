"""The committee's campaign dashboard and a unit's own view, with their charts' data."""

from django.urls import URLPattern, path

from mofan.reports import views_dashboard

urlpatterns: list[URLPattern] = [
    path("dashboard/<int:pk>/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/<int:pk>/data.json", views_dashboard.dashboard_data, name="dashboard_data"),
    path("unit/<int:pk>/", views_dashboard.unit_view, name="unit_view"),
    path("unit/<int:pk>/data.json", views_dashboard.unit_data, name="unit_data"),
]
