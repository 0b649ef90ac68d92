from django.urls import path

from mofan.activities import views, views_import, views_member

app_name = "activities"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.record_new, name="new"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/edit/", views.record_edit, name="edit"),
    path("<int:pk>/delete/", views.record_delete, name="delete"),
    path("mine/", views_member.mine, name="mine"),
    path("mine/new/", views_member.mine_new, name="mine_new"),
    path("mine/<int:pk>/", views_member.mine_detail, name="mine_detail"),
    path("mine/<int:pk>/edit/", views_member.mine_edit, name="mine_edit"),
    path("mine/<int:pk>/delete/", views_member.mine_delete, name="mine_delete"),
    path("import/", views_import.import_records, name="import"),
    path("import/template/", views_import.import_template, name="import_template"),
    path("import/<int:pk>/", views_import.import_job, name="import_job"),
    path("import/<int:pk>/retry/", views_import.import_retry, name="import_retry"),
    path("kinds/", views.kinds, name="kinds"),
    path("kinds/<int:pk>/toggle/", views.kind_toggle, name="kind_toggle"),
]
