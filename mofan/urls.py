from django.urls import include, path

urlpatterns = [
    path("", include("mofan.home.urls")),
    path("accounts/", include("mofan.accounts.urls")),
    path("manage/accounts/", include("mofan.accounts.urls_manage")),
    path("org/", include("mofan.organizations.urls")),
    path("audit/", include("mofan.accounts.urls_audit")),
    path("indicators/", include("mofan.indicators.urls")),
    path("campaigns/", include("mofan.evaluations.urls_campaign")),
    path("reviews/", include("mofan.evaluations.urls")),
    path("evidence/", include("mofan.evaluations.urls_evidence")),
    path("activities/", include("mofan.activities.urls")),
    path("rectification/", include("mofan.rectification.urls")),
    path("supervision/", include("mofan.supervision.urls")),
    path("honours/", include("mofan.honours.urls")),
    path("cases/", include("mofan.cases.urls")),
    path("appraisals/", include("mofan.appraisals.urls")),
    path("notices/", include("mofan.notifications.urls")),
    path("reports/", include("mofan.reports.urls")),
    path("choose/", include("mofan.core.urls_choosers")),
]

handler403 = "mofan.home.views.permission_denied"
handler404 = "mofan.home.views.page_not_found"
handler500 = "mofan.home.views.server_error"
