from django.urls import include, path

from dialogues import api

urlpatterns = [
    path("programs/<int:pk>/sessions/", api.ProgramSessionsView.as_view(),
         name="api-program-sessions"),
    path("sessions/<int:pk>/", api.SessionDetailView.as_view(), name="api-session"),
    path("sessions/<int:pk>/cancel/", api.SessionCancelView.as_view(), name="api-session-cancel"),
    path("sessions/<int:pk>/rsvp/", api.SessionRSVPView.as_view(), name="api-session-rsvp"),
    path("sessions/<int:pk>/attendees/", api.SessionAttendeesView.as_view(),
         name="api-session-attendees"),
    path("sessions/<int:pk>/attendance/", api.SessionAttendanceView.as_view(),
         name="api-session-attendance"),
    path("sessions/<int:pk>/outcomes/", api.SessionOutcomesView.as_view(),
         name="api-session-outcomes"),
    path("sessions/<int:pk>/calendar.ics", api.SessionCalendarView.as_view(),
         name="api-session-calendar"),
    path("", include("dialogues.reminders.api_urls")),
    path("", include("dialogues.groups.api_urls")),
    path("", include("dialogues.evaluation.api_urls")),
]
