from django.urls import path

from mofan.rectification import views_rereview

urlpatterns = [
    path("rereviews/", views_rereview.rereview_list, name="rereview_list"),
    path("rereviews/<int:pk>/", views_rereview.rereview_detail, name="rereview_detail"),
    path("rereviews/<int:pk>/score/", views_rereview.rereview_score, name="rereview_score"),
    path("rereviews/<int:pk>/submit/", views_rereview.rereview_submit, name="rereview_submit"),
    path("rereviews/<int:pk>/approve/", views_rereview.rereview_approve, name="rereview_approve"),
    path("rereviews/<int:pk>/reject/", views_rereview.rereview_reject, name="rereview_reject"),
    path("rereviews/<int:pk>/close/", views_rereview.rereview_close, name="rereview_close"),
]
