from django.urls import path

from dialogues import reminders_views

urlpatterns = [
    path("programs/<int:program_id>/reminders/", reminders_views.program_reminders,
         name="program-reminders"),
]
