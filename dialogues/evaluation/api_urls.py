from django.urls import path

from dialogues.evaluation import api

urlpatterns = [
    path("instruments/", api.InstrumentsView.as_view(), name="api-instruments"),
    path("me/surveys/", api.MySurveysView.as_view(), name="api-my-surveys"),
    path("programs/<int:pk>/evaluation/", api.ProgramEvaluationView.as_view(),
         name="api-program-evaluation"),
    path("programs/<int:pk>/evaluation/waves/<str:wave>/open/", api.WaveOpenView.as_view(),
         name="api-evaluation-wave-open"),
    path("programs/<int:pk>/evaluation/waves/<str:wave>/close/", api.WaveCloseView.as_view(),
         name="api-evaluation-wave-close"),
    path("programs/<int:pk>/evaluation/waves/<str:wave>/responses/",
         api.ResponsesView.as_view(), name="api-evaluation-responses"),
    path("programs/<int:pk>/evaluation/decline/", api.DeclineView.as_view(),
         name="api-evaluation-decline"),
    path("programs/<int:pk>/evaluation/results/", api.ResultsView.as_view(),
         name="api-evaluation-results"),
    path("programs/<int:pk>/evaluation/results.csv", api.ResultsCsvView.as_view(),
         name="api-evaluation-results-csv"),
    path("programs/<int:pk>/evaluation/responses.csv", api.ResponsesCsvView.as_view(),
         name="api-evaluation-responses-csv"),
]
