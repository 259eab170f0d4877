"""Checks that must stop a server at start-up rather than fail its first request."""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages


def require_static_manifest() -> None:
    """With hashed static files (production), every page needs collectstatic's manifest."""
    storage = storages["staticfiles"]
    if isinstance(storage, ManifestStaticFilesStorage) and not storage.exists(
        storage.manifest_name
    ):
        raise ImproperlyConfigured(
            f"No static files manifest in STATIC_ROOT ({settings.STATIC_ROOT}). Run "
            "`manage.py collectstatic --no-input` before starting the server."
        )
