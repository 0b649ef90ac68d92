from django.urls import URLPattern, URLResolver, include, path

from mofan.surveys import views_public

urlpatterns: list[URLPattern | URLResolver] = [
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
    path("surveys/", include("mofan.surveys.urls")),
    # a respondent's short public links (no account): one-time and a unit's open QR link
    path("s/<str:token>/", views_public.respond_token, name="survey_token"),
    path("q/<str:code>/", views_public.respond_code, name="survey_code"),
    path("s-thanks/", views_public.thanks, name="survey_thanks"),
    path("cases/", include("mofan.cases.urls")),
    path("appraisals/", include("mofan.appraisals.urls")),
    path("notices/", include("mofan.notifications.urls")),
    path("reports/", include("mofan.reports.urls")),
    path("choose/", include("mofan.core.urls_choosers")),
    path("api/v1/", include("mofan.api.urls")),
]

handler403 = "mofan.home.views.permission_denied"
handler404 = "mofan.home.views.page_not_found"
handler500 = "mofan.home.views.server_error"
