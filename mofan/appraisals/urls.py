"""述职评议 pages, under /appraisals/."""

from django.urls import path

from mofan.appraisals import views, views_appraisal

app_name = "appraisals"
urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/transition/", views.round_transition, name="round_transition"),
    path("rounds/<int:pk>/panel/", views.round_panel, name="round_panel"),
    path("rounds/<int:pk>/rate/", views_appraisal.rate, name="rate"),
    path("secretaries/<int:pk>/", views_appraisal.appraisal_detail, name="appraisal_detail"),
    path(
        "secretaries/<int:pk>/secretary/",
        views_appraisal.appraisal_secretary,
        name="appraisal_secretary",
    ),
    path("secretaries/<int:pk>/return/", views_appraisal.appraisal_return, name="appraisal_return"),
    path(
        "secretaries/<int:pk>/ballots/", views_appraisal.appraisal_ballots, name="appraisal_ballots"
    ),
]
