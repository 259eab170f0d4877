from django.urls import include, path

from dialogues import views

urlpatterns = [
    path("programs/<int:program_id>/sessions/", views.program_sessions, name="program-sessions"),
    path("programs/<int:program_id>/sessions/new/", views.session_new, name="session-new"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/rsvp/", views.session_rsvp, name="session-rsvp"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="session-attendance"),
    path("sessions/<int:pk>/outcomes/", views.session_outcome_new, name="session-outcome-new"),
    path("sessions/<int:pk>/attendees.csv", views.session_attendees_csv,
         name="session-attendees-csv"),
    path("sessions/<int:pk>/calendar.ics", views.session_calendar, name="session-calendar"),
    path("me/sessions/", views.my_sessions, name="my-sessions"),
    path("me/sessions/calendar/revoke/", views.calendar_feed_revoke, name="calendar-feed-revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("", include("dialogues.reminders.urls")),
    path("", include("dialogues.groups.urls")),
    path("", include("dialogues.evaluation.urls")),
]
