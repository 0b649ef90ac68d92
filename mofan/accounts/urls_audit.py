from django.urls import path

from mofan.accounts import views_audit as views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("verify/", views.verify, name="verify"),
]
