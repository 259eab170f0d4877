from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.views import healthz
from exchanges.views import home

admin.site.site_header = _("Parley administration")
admin.site.site_title = _("Parley admin")
admin.site.index_title = _("Activity, people, programs and messages")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("participants.urls")),
    path("", include("exchanges.urls")),
    path("", include("dialogues.urls")),
    path("", include("dialogues.reminders_urls")),
    path("", include("participants.notifications_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

