from django.urls import path

from mofan.rectification import views_items

urlpatterns = [
    path("board/", views_items.board, name="item_board"),
    path("board/new/", views_items.committee_new, name="item_new"),
    path("findings/<int:pk>/list/", views_items.from_finding, name="item_from_finding"),
    path("findings/list-all/", views_items.from_findings, name="items_from_findings"),
    path("mine/", views_items.unit_list, name="unit_items"),
    path("mine/new/", views_items.unit_new, name="unit_item_new"),
    path("items/<int:pk>/", views_items.item_detail, name="item_detail"),
    path("items/<int:pk>/act/", views_items.item_act, name="item_act"),
    path("items/<int:pk>/edit/", views_items.item_edit, name="item_edit"),
]
