"""The user's own notices, under /notices/ (self-service: only one's own notices)."""

from django.urls import path

from mofan.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("read-all/", views.notice_mark_all, name="mark_all_read"),
    path("<int:pk>/", views.notice_open, name="open"),
    path("<int:pk>/read/", views.notice_mark_one, name="mark_read"),
]
