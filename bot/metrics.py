"""Prometheus metrics, one set per application (platform-free; handlers may use it).

Each Metrics owns its CollectorRegistry instead of prometheus_client's global one:
tests build many apps in one process, and a global registry would refuse the second
set of collectors (and mix their counts). `govmedia serve` runs one app, so one
registry is exactly what /metrics exposes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

# inbound outcomes counted by Dispatcher.feed
HANDLED = "handled"
DUPLICATE = "duplicate"
REJECTED = "rejected"  # a DomainError: the person got a clear answer, nothing changed
ERROR = "error"  # an unexpected exception: logged, the person got the internal-error answer

_DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)
_REVIEW_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200,
                   604800)


class Metrics:
    """Every metric the bot exports; `exposition()` renders them for /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.inbound_events = Counter(
            "govmedia_inbound_events", "Inbound events by channel and outcome",
            ["channel", "outcome"], registry=r)
        self.outbox_backlog = Gauge(
            "govmedia_outbox_backlog", "Outbox messages not yet delivered (pending)", registry=r)
        self.outbox_oldest_age = Gauge(
            "govmedia_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered outbox message (0 when none)", registry=r)
        self.delivery_seconds = Histogram(
            "govmedia_outbox_delivery_seconds", "Outbox delivery latency, enqueue to sent",
            ["channel"], buckets=_DELIVERY_BUCKETS, registry=r)
        self.delivery_failures = Counter(
            "govmedia_outbox_delivery_failures",
            "Failed delivery attempts by channel; final=true when the outbox gave up",
            ["channel", "final"], registry=r)
        self.outbox_queries = Counter(
            "govmedia_outbox_queries", "Database statements run by the outbox sender",
            registry=r)
        self.review_step_seconds = Histogram(
            "govmedia_review_step_seconds", "Review step duration, created to decided",
            ["level", "decision"], buckets=_REVIEW_BUCKETS, registry=r)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric in this registry."""
        return generate_latest(self.registry)
