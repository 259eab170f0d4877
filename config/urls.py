"""The root URLconf: the admin and each app's own URLs."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("", include("participants.urls")),
    path("", include("exchanges.urls")),
    path("", include("dialogues.urls")),
]
