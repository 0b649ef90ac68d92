"""Exports, background jobs and dashboards, under /reports/."""

from mofan.reports import urls_dashboard, urls_exports

app_name = "reports"
urlpatterns = [*urls_exports.urlpatterns, *urls_dashboard.urlpatterns]
