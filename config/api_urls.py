"""/api/v1/: the schema, its docs page, each app's routes; unknown paths answer a JSON 404."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("participants.api_urls")),
    path("", include("exchanges.api_urls")),
    path("", include("dialogues.api_urls")),
    re_path(r"^.*$", api_not_found),
]
