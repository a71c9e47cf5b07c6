"""Prometheus metrics of `callrouter web` (its own registry, like the daemon's)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)


class WebMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.requests_total = Counter(
            "callrouter_web_requests_total", "HTTP requests, by route (the URL rule) and status.",
            ["route", "status"], registry=r)
        self.request_seconds = Histogram(
            "callrouter_web_request_seconds", "Time to answer a request, by route.", ["route"],
            buckets=LATENCY_BUCKETS, registry=r)
        self.signins_total = Counter(
            "callrouter_web_signins_total", "Sign-in attempts, by outcome (ok, wrong_password, throttled, inactive).",
            ["outcome"], registry=r)
        # The name ConfigHolder counts reloads under (daemon.config_reload).
        self.config_reloads_total = Counter(
            "callrouter_web_config_reloads_total", "Config reloads, by result (ok, error).", ["result"], registry=r)
        # «Забыли пароль?» (daemon/web/recovery.py): each audit-log outcome, as store/recovery.py AUDIT names them.
        self.recoveries_total = Counter(
            "callrouter_web_recoveries_total", "Password recovery steps, by outcome (recovery_request, "
            "recovery_call, recovery_verified, recovery_reset, recovery_limited, ...).", ["outcome"], registry=r)
