from django.urls import path

from dialogues.reminders.api import ProgramRemindersView

urlpatterns = [
    path("programs/<int:pk>/reminders/", ProgramRemindersView.as_view(),
         name="api-program-reminders"),
]
