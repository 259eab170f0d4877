from django.contrib import admin
from django.urls import include, path

from config.views import healthz
from exchanges import two_factor
from exchanges.views import home
from participants import views as participant_views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    # Django's password pages: reset links go through the outbox; a new password ends
    # the API token.
    path("accounts/password_change/", participant_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password_reset/", participant_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", participant_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("account/two-factor/qr.svg", two_factor.qr_code, name="two_factor_qr"),
    path("account/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("", include("participants.urls")),
    path("", include("exchanges.urls")),
    path("", include("dialogues.urls")),
    path("", include("dialogues.reminders_urls")),
    path("", include("participants.notifications_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

