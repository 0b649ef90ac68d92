"""Calls for party-building brand cases, the units' cases and the experts' scoring, under
/cases/."""

from django.urls import path

from mofan.cases import views, views_cases

app_name = "cases"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("excellent/", views.excellent_list, name="excellent"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/transition/", views.call_transition, name="call_transition"),
    path("calls/<int:pk>/draw/", views.panel_draw, name="panel_draw"),
    path("calls/<int:pk>/close-scoring/", views.panel_close, name="panel_close"),
    path("calls/<int:pk>/tie/", views.tie_decide, name="tie_decide"),
    path("calls/<int:pk>/cases/new/", views_cases.case_create, name="case_create"),
    path("calls/<int:pk>/scoring/", views_cases.scoring, name="scoring"),
    path("cases/<int:pk>/", views_cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", views_cases.case_edit, name="case_edit"),
    path("cases/<int:pk>/submit/", views_cases.case_submit, name="case_submit"),
    path("scoring/", views_cases.scoring_list, name="scoring_list"),
    path("score/<int:pk>/", views_cases.score, name="score"),
]
