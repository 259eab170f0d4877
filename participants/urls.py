from django.urls import path

from participants import views

app_name = "participants"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("terms/", views.terms, name="terms"),
    path("me/profile/", views.profile, name="profile"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/api-token/", views.api_token, name="api-token"),
    path("me/data/download/", views.my_data_download, name="my-data-download"),
    path("me/data/erase/", views.erase_account, name="erase-account"),
]
