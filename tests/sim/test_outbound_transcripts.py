"""The outbound session against the reference transcripts (outbound_01a … 06).

Each test is a raw-socket "daemon" that sends exactly what the capture's listener sent, in
the same order, to a call the simulator places in the capture's setup (user 1001 calls
2000; 1000 answers at once; 1005 is not registered; sip:1@127.0.0.1:5070 rings forever;
…:5076 is busy).  The simulator must answer with the same messages, the same headers in the
same order, the same variables, and the values the daemon decides on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import gevent
import pytest

from tests.fakeswitch import FakeSwitch, Quirks
from tests.fakeswitch.session import (BACKLOG, NOTICE_AFTER_COMPLETE, NOTICE_AFTER_HANGUP, NOTICE_AFTER_STATE,
                                      PARK_FIRST, REPLY_FIRST)

from .rawpeer import DaemonStub, RawPeer
from .replay import closed_address, replay
from .transcripts import framing_problems, header_names, kinds, variable_names

#: Values the daemon reads to decide; they must be those FreeSWITCH sent.
DECISION_HEADERS = (
    "Channel-State", "Channel-Call-State", "Channel-State-Number", "Answer-State", "Hangup-Cause",
    "Application", "Application-Response", "Other-Type", "Caller-Callee-ID-Number",
    "variable_originate_disposition", "variable_DIALSTATUS", "variable_originate_failed_cause",
    "variable_bridge_hangup_cause", "variable_last_bridge_hangup_cause", "variable_sip_invite_failure_status",
    "variable_hangup_cause", "variable_hangup_cause_q850", "variable_sip_hangup_disposition",
    "variable_sip_term_status", "variable_proto_specific_hangup_cause", "variable_current_application",
    "variable_continue_on_fail", "variable_endpoint_disposition", "variable_originate_causes",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Scenario:
    quirks: Quirks
    caller_hangs_up_on: tuple[str, int] | None = None   # (event, nth): when sipp hung up


SCENARIOS = {
    "outbound_01a_bridge_fail_hangs_up_caller": Scenario(Quirks(PARK_FIRST, NOTICE_AFTER_COMPLETE)),
    "outbound_01b_bridge_failover_continue_on_fail": Scenario(Quirks(BACKLOG, NOTICE_AFTER_STATE),
                                                              ("CHANNEL_BRIDGE", 1)),
    "outbound_02_answer_playback_hangup_nolinger": Scenario(Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP)),
    "outbound_03_myevents_json_linger_timeout": Scenario(Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP, 0.7),
                                                         ("CHANNEL_BRIDGE", 1)),
    "outbound_06_busy_then_caller_cancels_during_ringing": Scenario(Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP, 0.9),
                                                                    ("CHANNEL_PROGRESS", 1)),
}


def capture_setup(**kwargs) -> FakeSwitch:
    """The box the transcripts were captured on (domain 127.0.0.1, users 1000-1019)."""
    sim = FakeSwitch(domain="127.0.0.1", hostname="vm", **kwargs).start()
    sim.employee("1000", answer_after=0.04)
    sim.employee("1001")
    sim.employee("1005", registered=False)
    sim.sip_device("sip:1@127.0.0.1:5076", busy=True)
    return sim


def decisions(message) -> dict:
    values = dict(message.event) if message.event else {}
    out = {key: _UUID.sub("<uuid>", str(values[key])) for key in DECISION_HEADERS if key in values}
    for key in ("Content-Disposition", "Linger-Time"):
        if message.get(key) is not None:
            out[key] = message.get(key)
    return out


def assert_same_structure(got, want) -> None:
    assert kinds(got) == kinds(want)
    for position, (g, w) in enumerate(zip(got, want)):
        where = f"message {position} {kinds([w])[0]}"
        assert header_names(g) == header_names(w), where
        assert set(variable_names(g)) == set(variable_names(w)), where
        assert framing_problems(g) == [], where
        assert decisions(g) == decisions(w), where


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_outbound_session_answers_as_freeswitch_did(name):
    scenario = SCENARIOS[name]
    sim = capture_setup(quirks=scenario.quirks)
    daemon = DaemonStub()
    call = sim.place_call(daemon.address, "2000", caller="1001", talk_time=None, socket_resume=False)
    seen = {}

    def on_message(conn, message):
        trigger = scenario.caller_hangs_up_on
        if trigger and message.event_name == trigger[0]:
            seen[trigger[0]] = seen.get(trigger[0], 0) + 1
            if seen[trigger[0]] == trigger[1]:
                call.hangup()

    try:
        result = replay(name, {"c": daemon.accept}, on_message=on_message)["c"]
        assert_same_structure(result.got, result.want)
        assert call.wait(2)
    finally:
        daemon.stop()
        sim.stop()


def test_linger_timeout_closes_the_socket_after_the_second_notice():
    """outbound_03: ``linger 2`` → a disconnect notice with the goodbye body, then close."""
    sim = capture_setup(quirks=Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP, 0.7))
    daemon = DaemonStub()
    call = sim.place_call(daemon.address, "2000", caller="1001", talk_time=None, socket_resume=False)
    try:
        result = replay("outbound_03_myevents_json_linger_timeout", {"c": daemon.accept},
                        on_message=lambda conn, m: m.event_name == "CHANNEL_BRIDGE" and call.hangup())["c"]
        assert result.got[-1].raw == result.want[-1].raw.replace(
            result.want[-1].get("Controlled-Session-UUID").encode(), call.uuid.encode())
        assert result.peer.read(0.5) is None and result.peer.closed
    finally:
        daemon.stop()
        sim.stop()


def hang_up_once_answered(call, timeout: float = 2.0) -> None:
    """sipp hung up a while after the answer; here: as soon as the answer happened."""
    with gevent.Timeout(timeout, False):
        while not call.answered:
            gevent.sleep(0.001)
    call.hangup()


def monitor(sim: FakeSwitch):
    return lambda: RawPeer.connect(sim.inbound_address)


def test_listener_closing_without_resume_leaves_the_call_parked():
    """outbound_04a: no resume → CHANNEL_PARK, the call stays; uuid_kill ends it."""
    sim = capture_setup()
    daemon = DaemonStub()
    calls = []
    transcript_uuid = b"e9218df0-3cb6-4ca9-b094-b55a67f3e9ec"

    def on_note(conn, text):
        if "sends INVITE" in text:
            calls.append(sim.place_call(daemon.address, "2000", caller="1001", talk_time=None, socket_resume=False))
        elif "closes the socket" in text:
            outbound.close()
        elif "6 s later" in text:
            sim.clock.sleep(6)

    def accept():
        nonlocal outbound
        outbound = daemon.accept()
        return outbound

    outbound = None
    try:
        results = replay("outbound_04a_listener_closes_without_resume_call_stays_parked",
                         {"inbound-monitor": monitor(sim), "outbound": accept}, on_note=on_note,
                         rewrite=lambda data: data.replace(transcript_uuid, calls[0].uuid.encode()) if calls else data)
        for conn in ("inbound-monitor", "outbound"):
            got, want = results[conn].got, results[conn].want
            assert kinds(got) == kinds(want), conn
            for g, w in zip(got, want):
                assert header_names(g) == header_names(w)
                assert framing_problems(g) == []
        show = [m for m in results["inbound-monitor"].got if m.content_type == "api/response"][0]
        assert calls[0].uuid.encode() in show.body and b",socket," in show.body
        assert calls[0].wait(1) and calls[0].parked and not calls[0].fell_back
    finally:
        daemon.stop()
        sim.stop()


@pytest.mark.parametrize("name, listening", [
    ("outbound_04b_resume_then_close_dialplan_fallback", True),
    ("outbound_05_listener_down_dialplan_fallback", False),
])
def test_dialplan_fallback_runs_when_the_socket_application_returns(name, listening):
    """outbound_04b (resume, then close) and 05 (nothing listens): the next action runs."""
    sim = capture_setup(fallback_dial="user/1000@127.0.0.1", quirks=Quirks(late_b_hangup_complete=False))
    daemon = DaemonStub()
    address = daemon.address if listening else closed_address()
    calls = []

    def on_note(conn, text):
        if "sends INVITE" in text:
            calls.append(sim.place_call(address, "2000", caller="1001", talk_time=None))
        elif "listener closes" in text:
            outbound.close()

    def accept():
        nonlocal outbound
        outbound = daemon.accept()
        return outbound

    outbound = None
    peers = {"inbound-monitor": monitor(sim)}
    if listening:
        peers["outbound"] = accept
    try:
        def on_message(conn, message):
            if message.event_name == "CHANNEL_EXECUTE" and message.event_value("Application") == "bridge":
                gevent.spawn(hang_up_once_answered, calls[0])

        results = replay(name, peers, on_note=on_note, on_message=on_message)
        assert calls[0].wait(2)
        for conn, result in results.items():
            assert kinds(result.got) == kinds(result.want), conn
            for g, w in zip(result.got, result.want):
                assert header_names(g) == header_names(w)
                assert framing_problems(g) == []
        assert calls[0].fell_back and calls[0].answered_by == "1000"
    finally:
        daemon.stop()
        sim.stop()
