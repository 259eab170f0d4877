"""Prometheus counters the dispatcher increments (one per outcome of a message).

Under gunicorn or Celery's prefork pool each process counts on its own; with
PROMETHEUS_MULTIPROC_DIR set (docs/operations.md, "Metrics") prometheus_client
writes the counts to files there and /metrics adds them up across processes.
"""

from prometheus_client import Counter

OUTCOMES = ("sent", "retried", "failed", "skipped")

messages = Counter(
    "parley_outbox_messages",
    "Outbox messages the dispatcher finished with, by outcome: sent, retried (a "
    "temporary failure, tried again later), failed (given up) or skipped (no longer "
    "relevant, cancelled)",
    ["outcome"],
)
for _outcome in OUTCOMES:  # every series exists from the start, at 0
    messages.labels(outcome=_outcome)


def count_outcome(outcome: str) -> None:
    messages.labels(outcome=outcome).inc()
