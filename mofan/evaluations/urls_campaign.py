from django.urls import path

from mofan.evaluations import views_campaign as views
from mofan.evaluations import views_campaign_admin as admin

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/activate/", admin.campaign_activate, name="activate"),
    path("<int:pk>/edit/", admin.campaign_edit, name="edit"),
    path("<int:pk>/units/", admin.campaign_units_add, name="units_add"),
    path("<int:pk>/extend/", admin.campaign_extend, name="extend_many"),
    path("<int:pk>/delete/", admin.campaign_delete, name="delete"),
    path("enrollments/<int:pk>/withdraw/", admin.enrollment_withdraw, name="withdraw"),
    path("enrollments/<int:pk>/readmit/", admin.enrollment_readmit, name="readmit"),
    path("cycle/<int:start_year>/", views.cycle, name="cycle"),
    path("enrollments/<int:pk>/", views.enrollment_home, name="enrollment"),
    path("enrollments/<int:pk>/submit/", views.enrollment_submit, name="submit"),
    path("enrollments/<int:pk>/plan/", views.plan_upload, name="plan"),
    path("enrollments/<int:pk>/submit-for/", views.enrollment_submit_for, name="submit_for"),
    path("enrollments/<int:pk>/return/", views.enrollment_return, name="return"),
    path("enrollments/<int:pk>/extend/", views.enrollment_extend, name="extend"),
    path("enrollments/<int:pk>/leadership/", views.leadership_add, name="leadership_add"),
    path("leadership/<int:pk>/remove/", views.leadership_remove, name="leadership_remove"),
    path("enrollments/<int:pk>/tasks/", views.task_add, name="task_add"),
    path("tasks/<int:pk>/status/", views.task_status, name="task_status"),
]
