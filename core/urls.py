from django.urls import path

from core.metrics import metrics
from core.views import favicon, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon),
]
