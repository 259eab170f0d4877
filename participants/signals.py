"""Events about people, for the apps above `participants` (the activity log lives there)."""

from django.dispatch import Signal

# sender=User, user=..., ip_address=...
personal_data_exported = Signal()
# sender=User, user=... (already scrubbed), old_email=..., ip_address=...
account_erased = Signal()
