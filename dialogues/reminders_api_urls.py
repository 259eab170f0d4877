from django.urls import path

from dialogues.reminders_api import ProgramRemindersView

urlpatterns = [
    path("programs/<int:pk>/reminders/", ProgramRemindersView.as_view(),
         name="api-program-reminders"),
]
