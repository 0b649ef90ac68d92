"""The supervision ledger (挂账督办), 约谈 records and yellow cards, under /supervision/."""

from django.urls import URLPattern, path

from mofan.supervision import views_ledger as views

urlpatterns: list[URLPattern] = [
    path("ledger/", views.ledger_board, name="ledger_board"),
    path("ledger/mine/", views.ledger_unit, name="ledger_unit"),
    path("ledger/new/", views.ledger_create, name="ledger_create"),
    path("ledger/<int:pk>/", views.ledger_detail, name="ledger_detail"),
    path("ledger/<int:pk>/edit/", views.ledger_edit, name="ledger_edit"),
    path("ledger/<int:pk>/report/", views.ledger_report, name="ledger_report"),
    path("ledger/<int:pk>/transition/", views.ledger_transition, name="ledger_transition"),
    path("interviews/", views.interview_list, name="interview_list"),
    path("interviews/new/", views.interview_create, name="interview_create"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("yellow-cards/", views.yellow_card_list, name="yellow_card_list"),
    path("yellow-cards/new/", views.yellow_card_create, name="yellow_card_create"),
    path("yellow-cards/<int:pk>/", views.yellow_card_detail, name="yellow_card_detail"),
    path("yellow-cards/<int:pk>/lift/", views.yellow_card_lift, name="yellow_card_lift"),
]
