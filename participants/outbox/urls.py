from django.urls import path

from participants.outbox import views

app_name = "outbox"

urlpatterns = [
    path("me/messages/", views.my_messages, name="messages"),
]
