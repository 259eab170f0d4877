from django.urls import path

from participants import notifications_views

app_name = "notifications"

urlpatterns = [
    path("me/messages/", notifications_views.my_messages, name="messages"),
]
