from django.urls import path

from mofan.supervision import views_bulletins

urlpatterns = [
    path("bulletins/", views_bulletins.bulletin_list, name="bulletin_list"),
    path("bulletins/compose/", views_bulletins.bulletin_compose, name="bulletin_compose"),
    path("bulletins/monthly/", views_bulletins.bulletin_monthly, name="bulletin_monthly"),
    path("bulletins/<int:pk>/", views_bulletins.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", views_bulletins.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/publish/", views_bulletins.bulletin_publish, name="bulletin_publish"),
    path(
        "bulletins/<int:pk>/withdraw/", views_bulletins.bulletin_withdraw, name="bulletin_withdraw"
    ),
]
