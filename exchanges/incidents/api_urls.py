from django.urls import path

from exchanges.incidents import api

urlpatterns = [
    path("programs/<int:pk>/incidents/", api.ProgramIncidentsView.as_view(),
         name="api-program-incidents"),
    path("incidents/<int:pk>/", api.IncidentDetailView.as_view(), name="api-incident"),
]
