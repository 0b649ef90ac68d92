from django.urls import path

from mofan.accounts import views_batches
from mofan.accounts import views_manage as views

app_name = "accounts_manage"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/roles/", views.role_grant, name="role_grant"),
    path("<int:pk>/roles/<int:assignment_pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("<int:pk>/profile/", views.account_profile, name="profile"),
    path("<int:pk>/active/", views.account_active, name="active"),
    path("<int:pk>/reset-password/", views.password_reset, name="password_reset"),
    path("<int:pk>/unlock/", views.account_unlock, name="unlock"),
    path("bulk/units/", views.bulk_from_units, name="bulk_units"),
    path("bulk/import/", views.bulk_import, name="bulk_import"),
    path("bulk/<int:pk>/", views_batches.batch_detail, name="batch"),
    path("bulk/<int:pk>/collect/", views_batches.batch_collect, name="batch_collect"),
    path("bulk/<int:pk>/retry/", views_batches.batch_retry, name="batch_retry"),
    path("bulk/template.xlsx", views.import_template, name="import_template"),
    path("credentials/", views.credentials_view, name="credentials"),
    path("credentials/download/", views.credentials_download, name="credentials_download"),
]
