"""Settings for the workers the reliability tests start: the project's, plus a backoff
read from the environment so a retry comes within seconds, not a minute.

(Drop this module once config/settings.py reads OUTBOX_BACKOFF_SECONDS itself.)
"""

import os

from config.settings import *  # noqa: F403

OUTBOX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_SECONDS", "60"))
