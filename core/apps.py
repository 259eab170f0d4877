from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared tools at the bottom of the dependency order: no models, no app imports."""

    name = "core"
