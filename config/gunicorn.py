"""gunicorn's settings for the Procfile's `web` (bin/run-scaled); every one an environment
variable. gunicorn itself reads WEB_CONCURRENCY for the number of workers."""

import os

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# Logs to standard error like every other process (docs/operations.md, "Logs").
errorlog = "-"


def child_exit(server, worker):
    """A worker that exits leaves its metric files behind: mark them (PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
