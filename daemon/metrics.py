"""Prometheus metrics of the daemon (names are fixed by the ops dashboards and alerts).

All metrics live in the registry given to `Metrics`, so tests read values from
their own registry instead of the process-wide default.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from store.metrics import RecordMetrics

# Call setup is expected in the low milliseconds; routing in microseconds.
SETUP_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
DECISION_BUCKETS = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.calls_total = Counter(
            "callrouter_calls_total", "Calls routed, by kind (employee, department, unknown) and outcome.",
            ["kind", "outcome"], registry=r)
        self.call_setup_seconds = Histogram(
            "callrouter_call_setup_seconds", "Outbound connect received -> first bridge sent.",
            buckets=SETUP_BUCKETS, registry=r)
        self.routing_decision_seconds = Histogram(
            "callrouter_routing_decision_seconds", "Time spent in routing.plan().",
            buckets=DECISION_BUCKETS, registry=r)
        self.active_calls = Gauge("callrouter_active_calls", "Calls being driven now.", registry=r)
        self.forwards_total = Counter(
            "callrouter_forwards_total", "Calls forwarded, by reason (no_answer, busy, unregistered, off_hours, absent).",
            ["reason"], registry=r)
        self.esl_connected = Gauge("callrouter_esl_connected", "1 while the inbound ESL link is up.", registry=r)
        self.esl_reconnects_total = Counter(
            "callrouter_esl_reconnects_total", "Inbound ESL reconnection attempts.", registry=r)
        self.esl_junk_frames_total = Counter(
            "callrouter_esl_junk_frames_total",
            "ESL header blocks skipped for lacking a known Content-Type (e.g. injected through a caller's name).",
            registry=r)
        self.config_reloads_total = Counter(
            "callrouter_config_reloads_total", "Config reloads, by result (ok, error).", ["result"], registry=r)
        self.call_failures_total = Counter(
            "callrouter_call_failures_total",
            "Calls handed back to the dialplan, by stage (connect, plan, execute, protocol, timeout).",
            ["stage"], registry=r)
        # A confirming mobile dropped right after it answered (daemon.confirm_prompt).
        self.confirm_prompt_failures_total = Counter(
            "callrouter_confirm_prompt_failures_total",
            "Mobile legs with answer confirmation that FreeSWITCH dropped on answering "
            "(DESTINATION_OUT_OF_ORDER: the confirmation prompt file is missing).", registry=r)
        # A call's outbound socket lost while FreeSWITCH ran its bridge on (daemon.lost_bridge).
        self.lost_bridges_total = Counter(
            "callrouter_lost_bridges_total",
            "Calls whose outbound ESL connection was lost while their bridge ran, by what the inbound link "
            "told of their end (answered, abandoned, failed: not answered, the dialplan went on; "
            "unknown: it could not tell, the record says what the daemon knew).", ["learned"], registry=r)
        self.records = RecordMetrics(r)     # the record writer's (store/metrics.py)
        # The SIP directory (daemon/directory.py): probes and guessed accounts show as
        # unauthorized / unknown_user; unavailable is the store not answering.
        self.directory_requests_total = Counter(
            "callrouter_directory_requests_total",
            "SIP directory requests, by result (served, unknown_user, no_password, unauthorized, unavailable, other).",
            ["result"], registry=r)
        for result in ("served", "unknown_user", "no_password", "unauthorized", "unavailable", "other"):
            self.directory_requests_total.labels(result)
        # issue 11: calls that should have been recorded and were not (or not usably). Reasons:
        # unwritable (the day directory could not be made: disk full, permissions), not_started
        # (answered, but FreeSWITCH never reported RECORD_START and left no file), empty (no
        # audio reached the file: FreeSWITCH removes such a file, or it holds none), timeout (recordings.dir did not answer in
        # time — a stalled NFS/SMB mount: the call went unrecorded, or its file could not be checked).
        self.recording_failures_total = Counter(
            "callrouter_recording_failures_total", "Calls that were to be recorded and have no usable recording.",
            ["reason"], registry=r)
        self.recordings_total = Counter(
            "callrouter_recordings_total", "Calls recorded with a usable file.", registry=r)
