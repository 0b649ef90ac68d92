from django.urls import path

from mofan.evaluations import (
    ledger_views,
    views_approval,
    views_groups,
    views_review,
    views_trace,
    views_unit,
)

app_name = "reviews"
urlpatterns = [
    path("self/<int:pk>/", views_unit.self_evaluation, name="self"),
    path("self/<int:pk>/<int:node_pk>/", views_unit.self_score_save, name="self_save"),
    path("self/<int:pk>/ledger/<int:node_pk>/", ledger_views.ledger_figure, name="ledger_figure"),
    path("self/<int:pk>/ledger/refresh/", ledger_views.ledger_refresh, name="ledger_refresh"),
    path("mine/", views_review.my_assignments, name="mine"),
    path("assignments/<int:pk>/", views_review.scoring, name="scoring"),
    path("assignments/<int:pk>/score/<int:node_pk>/", views_review.score_save, name="score_save"),
    path("assignments/<int:pk>/submit/", views_review.submit, name="submit"),
    path("assignments/<int:pk>/visit/", views_review.visit, name="visit"),
    path("assignments/<int:pk>/finding/", views_review.finding, name="finding"),
    path("assignments/<int:pk>/consolidate/", views_review.consolidate, name="consolidate"),
    path("campaigns/<int:pk>/groups/", views_groups.groups, name="groups"),
    path("campaigns/<int:pk>/draw/", views_groups.draw, name="draw"),
    path("campaigns/<int:pk>/draw-reviewers/", views_groups.draw_reviewers, name="draw_reviewers"),
    path("campaigns/<int:pk>/approval/", views_approval.approval_table, name="approval"),
    path("enrollments/<int:pk>/trace/", views_trace.trace, name="trace"),
    path(
        "campaigns/<int:pk>/approval/sign/",
        views_approval.approval_sign,
        name="approval_sign",
    ),
    path("approval-runs/<int:pk>/", views_approval.approval_run, name="approval_run"),
    path(
        "campaigns/<int:pk>/approval/action/",
        views_approval.approval_action,
        name="approval_action",
    ),
]
