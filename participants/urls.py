from django.urls import path

from participants import views

app_name = "participants"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("terms/", views.terms, name="terms"),
    path("me/profile/", views.profile, name="profile"),
]
