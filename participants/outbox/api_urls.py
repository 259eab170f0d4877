from django.urls import path

from participants.outbox.api import MyNotificationsView

urlpatterns = [
    path("me/notifications/", MyNotificationsView.as_view(), name="api-my-notifications"),
]
