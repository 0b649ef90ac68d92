"""Survey pages for the committee and the units, under /surveys/."""

from django.urls import path

from mofan.surveys import views, views_surveys

app_name = "surveys"
urlpatterns = [
    path("", views_surveys.survey_list, name="survey_list"),
    path("open/", views_surveys.survey_open, name="survey_open"),
    path("<int:pk>/", views_surveys.survey_detail, name="survey_detail"),
    path("survey-units/<int:pk>/tokens/", views_surveys.tokens_issue, name="tokens_issue"),
    path("survey-units/<int:pk>/links.xlsx", views_surveys.tokens_download, name="tokens_download"),
    path("survey-units/<int:pk>/poster.pdf", views_surveys.poster_download, name="poster_download"),
    path("answers/<int:pk>/problem/", views_surveys.answer_problem, name="answer_problem"),
    path("questionnaires/", views.questionnaire_list, name="questionnaire_list"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire_detail"),
    path("questionnaires/<int:pk>/sections/", views.section_add, name="section_add"),
    path("questionnaires/<int:pk>/questions/", views.question_add, name="question_add"),
    path("questionnaires/<int:pk>/publish/", views.questionnaire_publish, name="publish"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
]
