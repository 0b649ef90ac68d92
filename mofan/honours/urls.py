"""Honour programmes, nominations, 公示 and objections, under /honours/."""

from django.urls import path

from mofan.honours import views, views_nominations, views_panel

app_name = "honours"
urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("register/", views.register, name="register"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path(
        "programmes/<int:pk>/transition/", views.programme_transition, name="programme_transition"
    ),
    path("programmes/<int:pk>/tie/", views.tie_decide, name="tie_decide"),
    path("programmes/<int:pk>/nominate/", views_nominations.nomination_create, name="nominate"),
    path("programmes/<int:pk>/publicity/", views_nominations.publicity, name="publicity"),
    path("nominations/<int:pk>/", views_nominations.nomination_detail, name="nomination_detail"),
    path("nominations/<int:pk>/review/", views_nominations.nomination_review, name="review"),
    path("nominations/<int:pk>/veto/", views_nominations.veto_create, name="veto"),
    path("nominations/<int:pk>/revoke/", views_nominations.honour_revoke, name="revoke"),
    path("nominations/<int:pk>/object/", views_nominations.objection_lodge, name="object"),
    path(
        "nominations/<int:pk>/objections/new/",
        views_nominations.objection_record,
        name="objection_record",
    ),
    path("public/<int:pk>/", views_nominations.public_publicity, name="public_publicity"),
    path("objections/<int:pk>/resolve/", views_nominations.objection_resolve, name="resolve"),
    # the expert panel (views_panel.py)
    path("programmes/<int:pk>/panel/draw/", views_panel.panel_draw, name="panel_draw"),
    path("programmes/<int:pk>/panel/close/", views_panel.panel_close, name="panel_close"),
    path("panels/", views_panel.panel_list, name="panel_list"),
    path("panels/<int:pk>/", views_panel.panel_scoring, name="panel_scoring"),
]
