from django.urls import path

from mofan.organizations import views

app_name = "organizations"
urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:unit_pk>/orgs/new/", views.party_org_edit, name="party_org_create"),
    path("orgs/<int:pk>/", views.party_org_detail, name="party_org_detail"),
    path("orgs/<int:pk>/edit/", views.party_org_edit, name="party_org_edit"),
    path("orgs/<int:pk>/delete/", views.party_org_delete, name="party_org_delete"),
    path("units/<int:unit_pk>/members/", views.member_list, name="member_list"),
    path("units/<int:unit_pk>/members/new/", views.member_edit, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/account/", views.member_account, name="member_account"),
    path("members/<int:pk>/delete/", views.member_delete, name="member_delete"),
    path("elections/", views.elections, name="elections"),
]
