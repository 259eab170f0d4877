from django.urls import path, re_path

from dialogues.evaluation import views

urlpatterns = [
    path("me/surveys/", views.my_surveys, name="my-surveys"),
    path("programs/<int:program_id>/evaluation/", views.evaluation_settings,
         name="evaluation-settings"),
    path("programs/<int:program_id>/evaluation/decline/", views.survey_decline,
         name="survey-decline"),
    path("programs/<int:program_id>/evaluation/results/", views.evaluation_results,
         name="evaluation-results"),
    path("programs/<int:program_id>/evaluation/results.csv", views.evaluation_results_csv,
         name="evaluation-results-csv"),
    path("programs/<int:program_id>/evaluation/responses.csv",
         views.evaluation_responses_csv, name="evaluation-responses-csv"),
    re_path(r"^programs/(?P<program_id>[0-9]+)/evaluation/waves/(?P<wave>pre|post|m[0-9]+)/"
            r"(?P<action>open|close)/$", views.evaluation_wave, name="evaluation-wave"),
    re_path(r"^programs/(?P<program_id>[0-9]+)/evaluation/(?P<wave>pre|post|m[0-9]+)/$",
            views.survey_answer, name="survey-answer"),
    path("orgs/<slug:slug>/evaluation/", views.organization_results,
         name="organization-evaluation"),
]
