from django.urls import path

from exchanges.incidents import views

urlpatterns = [
    path("programs/<int:program_id>/incidents/", views.program_incidents,
         name="program-incidents"),
    path("programs/<int:program_id>/incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/status/", views.incident_update, name="incident-update"),
]
