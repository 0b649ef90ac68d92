from django.urls import path

from mofan.rectification import views_items

urlpatterns = [
    path("items/<int:pk>/", views_items.item_detail, name="item_detail"),
]
