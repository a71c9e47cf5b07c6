"""Prometheus metrics of the record writer, in the registry it is given.

The daemon passes its own registry (daemon/metrics.py), so /metrics shows them
beside the call metrics; a tool or a test that writes records without a daemon
gets a registry of its own. The names are fixed by the ops dashboards and alerts.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class RecordMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.queue_depth = Gauge(
            "callrouter_record_queue_depth", "Call records waiting to be written.", registry=r)
        self.write_failures_total = Counter(
            "callrouter_record_write_failures_total", "Failed batch writes of call records.", registry=r)
        self.spooled_total = Counter(
            "callrouter_record_spooled_total", "Call records written to the spool file while the database was down.",
            registry=r)
