from django.urls import path

from dialogues.reminders import views

urlpatterns = [
    path("programs/<int:program_id>/reminders/", views.program_reminders,
         name="program-reminders"),
]
