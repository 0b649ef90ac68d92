from django.urls import path

from mofan.supervision import views_spotcheck as views

urlpatterns = [
    path("spotchecks/", views.spotcheck_list, name="spotcheck_list"),
    path("spotchecks/new/", views.spotcheck_new, name="spotcheck_new"),
    path("spotchecks/mine/", views.spotcheck_mine, name="spotcheck_mine"),
    path("spotchecks/<int:pk>/", views.spotcheck_detail, name="spotcheck_detail"),
    path("spotchecks/<int:pk>/visit/", views.spotcheck_visit, name="spotcheck_visit"),
    path(
        "spotchecks/visits/<int:pk>/",
        views.spotcheck_visit_detail,
        name="spotcheck_visit_detail",
    ),
    path(
        "spotchecks/visits/<int:pk>/correct/",
        views.spotcheck_visit_correct,
        name="spotcheck_visit_correct",
    ),
]
