"""Exports, background jobs, dashboards and 减负统计, under /reports/."""

from mofan.reports import urls_burden, urls_dashboard, urls_exports

app_name = "reports"
urlpatterns = [
    *urls_exports.urlpatterns,
    *urls_dashboard.urlpatterns,
    *urls_burden.urlpatterns,
]
