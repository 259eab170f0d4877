from django.urls import include, path

from participants import views

account_patterns = ([
    path("accounts/signup/", views.signup, name="signup"),
    path("terms/", views.terms, name="terms"),
    path("me/profile/", views.profile, name="profile"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/api-token/", views.api_token, name="api-token"),
    path("me/data/download/", views.my_data_download, name="my-data-download"),
    path("me/data/erase/", views.erase_account, name="erase-account"),
    path("me/quick-exit/", views.quick_exit, name="quick-exit"),
    path("me/quick-exit/undo/", views.quick_exit_undo, name="quick-exit-undo"),
], "participants")

urlpatterns = [
    # Django's password pages: reset links go through the outbox; a new password ends
    # the API token.
    path("accounts/password_change/", views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include(account_patterns)),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("", include("participants.outbox.urls")),
]
