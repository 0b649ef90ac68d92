from django.urls import include, path

urlpatterns = [
    path("", include("mofan.core.urls")),
    path("accounts/", include("mofan.accounts.urls")),
    path("org/", include("mofan.organizations.urls")),
    path("audit/", include("mofan.audit.urls")),
]
