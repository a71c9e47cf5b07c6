"""The synchronous outbound socket against the reference transcripts (outbound_07a … 07g).

The capture's setup (README, "Synchronous outbound mode"): user 1001 calls 9910, routed to
`socket 127.0.0.1:8094 full`; 1010 answers 2 s after its INVITE, 1011 rings and never
answers; the caller hangs up 3 s after an answer.  Each test replays the capture's client
bytes on the outbound connection (and on the inbound one where the capture used it) and
checks that the simulator answers with the same messages, in the same order, with the
same headers and the values the daemon decides on — in particular that nothing arrives
while an application runs, that the reply comes when it ends, followed by the held events
in Event-Sequence order and the linger notice, and that CHANNEL_HANGUP_COMPLETE never does.
"""
from __future__ import annotations

import os

import gevent
import pytest

from tests.e2e.harness import wait_until
from tests.fakeswitch import FakeSwitch, Quirks
from tests.fakeswitch.session import NOTICE_AFTER_HANGUP, REPLY_FIRST

from .rawpeer import DaemonStub, RawPeer
from .replay import replay
from .test_outbound_transcripts import assert_same_structure
from .transcripts import kinds, load

ANSWERS_AFTER_2S = "1010"
NEVER_ANSWERS = "1011"


def sync_setup(**kwargs) -> FakeSwitch:
    sim = FakeSwitch(domain="127.0.0.1", hostname="vm", socket_mode="sync", **kwargs).start()
    sim.employee("1001")
    sim.employee(ANSWERS_AFTER_2S, answer_after=2.0)
    sim.employee(NEVER_ANSWERS)
    return sim


def place(sim: FakeSwitch, daemon: DaemonStub, **options):
    """The capture's call; its extension matched `^9910$` without a capture group (no DP_MATCH)."""
    return sim.place_call(daemon.address, "9910", caller="1001", talk_time=None,
                          channel_overrides={"variable_DP_MATCH": ""}, **options)


def transcript_uuid(name: str) -> bytes:
    """The caller's UUID in the capture (the connect reply's Unique-ID)."""
    for step in load(name):
        if step.kind == "recv" and step.message.get("Event-Name") == "CHANNEL_DATA":
            return step.message.get("Unique-ID").encode()
    raise AssertionError(f"{name}: no connect reply")


def caller_hangs_up_after_answers(call, after: float = 3.0) -> None:
    """sipp sent BYE 3 s after each 200 OK; here: 3 sim s after the answer."""
    def run():
        while not call.done:
            if call.answered:
                call._flow.clock.sleep(after)
                call.hangup()
                return
            gevent.sleep(0.001)
    gevent.spawn(run)


def caller_cancels_after(call, sim, seconds: float) -> None:
    gevent.spawn(lambda: (sim.clock.sleep(seconds), call.hangup()))


SCENARIOS = {
    "outbound_07a_sync_bridge_answered_caller_hangs_up": "answer",
    "outbound_07b_sync_leg_timeout_then_second_bridge": "answer",
    "outbound_07c_sync_caller_cancels_during_bridge": "cancel",
    "outbound_07f1_sync_event_plain_and_filter_reduced_subscription": "answer",
    "outbound_07f2_sync_myevents_then_nixevent_reduced_subscription": "answer",
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_sync_session_answers_as_freeswitch_did(name):
    sim = sync_setup()
    daemon = DaemonStub()
    call = place(sim, daemon)
    if SCENARIOS[name] == "answer":
        caller_hangs_up_after_answers(call)
    else:
        caller_cancels_after(call, sim, 3.0)
    original = transcript_uuid(name)
    try:
        result = replay(name, {"outbound": daemon.accept},
                        rewrite=lambda data: data.replace(original, call.uuid.encode()))["outbound"]
        assert_same_structure(result.got, result.want)
        names = [m.event_name for m in result.got if m.event_name]
        assert "CHANNEL_HANGUP_COMPLETE" not in names and "CHANNEL_STATE" not in names
        result.peer.close()
        assert call.wait(2)
        # what the simulator counts as written is what the client received
        wait_until(lambda: call.socket_bytes, what="the session to close")
        assert call.socket_bytes == len(result.peer.received)
        assert call.socket_events == sum(1 for m in result.got if m.content_type == "text/event-plain")
        # and close to what FreeSWITCH wrote for the same call (its events carry more variables)
        written = sum(len(m.raw) for m in result.want)
        assert 0.75 * written <= call.socket_bytes <= 1.05 * written, (call.socket_bytes, written)
    finally:
        daemon.stop()
        sim.stop()


def test_the_bridge_reply_comes_when_the_bridge_ends_with_the_held_events_in_sequence():
    """07a: nothing between the bridge's sendmsg and its end; then +OK, the events in
    Event-Sequence order with the moments they fired, then the linger notice."""
    sim = sync_setup()
    daemon = DaemonStub()
    call = place(sim, daemon)
    caller_hangs_up_after_answers(call)
    try:
        peer = daemon.accept()
        for command in ("connect", "myevents", "linger 5"):
            peer.command(command)
            peer.read()
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
                     f"execute-app-arg: user/{ANSWERS_AFTER_2S}@127.0.0.1")
        assert peer.read(timeout=sim.clock.real(4.5)) is None          # silent while it rings and talks
        messages = peer.read_until(lambda m: m.content_type == "text/disconnect-notice", timeout=2)
        assert messages[0].get("Reply-Text") == "+OK"
        events = messages[1:-1]
        assert [m.event_name for m in events] == [
            "CHANNEL_EXECUTE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
            "CHANNEL_HANGUP", "CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE_COMPLETE"]
        sequences = [int(m.event_value("Event-Sequence")) for m in events]
        assert sequences == sorted(sequences)
        stamps = {m.event_name: int(m.event_value("Event-Date-Timestamp")) for m in events}
        talk = (stamps["CHANNEL_EXECUTE_COMPLETE"] - stamps["CHANNEL_ANSWER"]) / 1e6
        assert 3 <= talk < 4                                # fired at the answer, delivered at the end
        assert messages[-1].get("Content-Disposition") == "linger"
        peer.close()
        assert call.wait(2) and call.answered_by == ANSWERS_AFTER_2S
    finally:
        daemon.stop()
        sim.stop()


def test_uuid_kill_of_the_b_leg_ends_a_ringing_bridge_at_once_and_the_caller_stays():
    """07e2: `api uuid_kill <B leg>` from an inbound connection: +OK, the bridge's reply at
    once with NORMAL_CLEARING; the caller is still up for the next bridge."""
    sim = sync_setup()
    daemon = DaemonStub()
    call = place(sim, daemon)
    b_leg = "6f0bd9f2-8a53-4c51-9c1e-0d1b5c0e1a11"
    try:
        peer = daemon.accept()
        for command in ("connect", "event plain CHANNEL_EXECUTE_COMPLETE", f"filter Unique-ID {call.uuid}",
                        "sendmsg\ncall-command: execute\nexecute-app-name: multiset\n"
                        "execute-app-arg: continue_on_fail=true hangup_after_bridge=true"):
            peer.command(command)
            peer.read()
        assert peer.read().event_value("Application") == "multiset"
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
                     f"execute-app-arg: [origination_uuid={b_leg},leg_timeout=12]user/{NEVER_ANSWERS}@127.0.0.1")
        sim.clock.sleep(3)
        inbound = RawPeer.connect(sim.inbound_address)
        inbound.read()
        inbound.command("auth ClueCon")
        inbound.read()
        inbound.command(f"api uuid_break {call.uuid} all")               # 07e1: no effect
        assert inbound.read().body == b"+OK\n"
        assert peer.read(timeout=sim.clock.real(1)) is None
        killed_at = sim.now()
        inbound.command(f"api uuid_kill {b_leg}")
        assert inbound.read().body == b"+OK\n"
        reply, complete = peer.read(timeout=1), peer.read(timeout=1)
        assert reply.get("Reply-Text") == "+OK"
        assert complete.event_value("variable_originate_disposition") == "NORMAL_CLEARING"
        assert complete.event_value("variable_DIALSTATUS") == "NORMAL_CLEARING"
        assert complete.event_value("Answer-State") != "hangup" and not call.done
        assert call.bridges[0].ended_at - killed_at < 5             # at once, not 9 s later at the leg timeout
        inbound.command(f"api uuid_kill {b_leg}")
        assert inbound.read().body == b"-ERR No such channel!\n"
        peer.close()
        assert call.wait(2) and call.fell_back and not call.reset
    finally:
        daemon.stop()
        sim.stop()


@pytest.mark.parametrize("socket_resume", [True, False])
def test_closing_a_sync_socket_while_the_bridge_rings(socket_resume):
    """07d / 07d2: nothing changes until the bridge ends; then with socket_resume the caller
    is left in CS_RESET (no fallback, no final response), without it the fallback runs."""
    sim = sync_setup(fallback_dial="user/1001@127.0.0.1")
    daemon = DaemonStub()
    call = place(sim, daemon, socket_resume=socket_resume)
    try:
        peer = daemon.accept()
        peer.command("connect")
        peer.read()
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: continue_on_fail=true")
        peer.read()
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
                     f"execute-app-arg: [leg_timeout=10]user/{NEVER_ANSWERS}@127.0.0.1")
        sim.clock.sleep(2)
        peer.close()
        sim.clock.sleep(5)
        assert not call.fell_back and not call.reset and len(call.bridges) == 1     # still ringing
        if socket_resume:
            gevent.sleep(sim.clock.real(8))
            assert call.reset and not call.fell_back and not call.done
            sim.kill_channel(call.uuid, "NORMAL_CLEARING")
            assert call.wait(2) and not call.fell_back
        else:
            assert call.wait(sim.clock.real(8) + 2)
            assert call.fell_back and [b.dial_string for b in call.bridges][1] == "user/1001@127.0.0.1"
            assert 10 <= call.bridges[1].started_at - call.bridges[0].started_at < 14    # at the leg timeout
    finally:
        daemon.stop()
        sim.stop()


def test_the_connect_reply_says_static_and_events_before_it_never_come():
    sim = sync_setup()
    daemon = DaemonStub()
    call = place(sim, daemon)
    try:
        peer = daemon.accept()
        peer.command("connect")
        connect = peer.read()
        assert (connect.get("Socket-Mode"), connect.get("Control")) == ("static", "full")
        peer.command("myevents")
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: answer")
        got = peer.read_until(lambda m: m.event_value("Application") == "answer" and
                              m.event_name == "CHANNEL_EXECUTE_COMPLETE")
        assert kinds(got) == [("command/reply", "+OK Events Enabled"), ("command/reply", "+OK"),
                              ("text/event-plain", "CHANNEL_EXECUTE"), ("text/event-plain", "CHANNEL_PROGRESS_MEDIA"),
                              ("text/event-plain", "CHANNEL_ANSWER"),
                              ("text/event-plain", "CHANNEL_EXECUTE_COMPLETE")]
        call.hangup()
        assert peer.read().event_name == "CHANNEL_HANGUP"
        assert peer.read().get("Content-Disposition") == "disconnect"        # no linger: goodbye
        peer.close()
        assert call.wait(2)
    finally:
        daemon.stop()
        sim.stop()


def test_an_async_session_with_the_reduced_subscription_answers_as_freeswitch_did():
    """07g: the call of 07a over `socket … async full`, `event plain` of two types + filter."""
    name = "outbound_07g_async_event_plain_and_filter_reduced_subscription"
    sim = sync_setup(quirks=Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP))
    daemon = DaemonStub()
    call = place(sim, daemon, socket_mode="async", socket_resume=False)
    caller_hangs_up_after_answers(call)
    original = transcript_uuid(name)
    try:
        result = replay(name, {"outbound": daemon.accept},
                        rewrite=lambda data: data.replace(original, call.uuid.encode()))["outbound"]
        assert_same_structure(result.got, result.want)
        result.peer.close()
        assert call.wait(2)
    finally:
        daemon.stop()
        sim.stop()


def _header_agrees(path) -> bool:
    """libsndfile writes a WAV's sizes on close: a header that agrees with the size means closed."""
    with open(path, "rb") as f:
        header = f.read(8)
    return int.from_bytes(header[4:8], "little") + 8 == os.path.getsize(path)


def recorded_bridge(path) -> tuple[str, ...]:
    """The daemon's commands for a recorded call: connect, events, linger, the recording
    variables, record_session and a bridge to the extension that answers after 2 s."""
    return ("connect", "myevents", "linger",
            "sendmsg\ncall-command: execute\nexecute-app-name: multiset\n"
            "execute-app-arg: RECORD_STEREO=true RECORD_BRIDGE_REQ=true continue_on_fail=true",
            f"sendmsg\ncall-command: execute\nexecute-app-name: record_session\nexecute-app-arg: {path}",
            "sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
            f"execute-app-arg: user/{ANSWERS_AFTER_2S}@127.0.0.1")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_hangups_record_stop_reaches_only_an_async_socket(mode, tmp_path):
    """The hangup state closes the file and fires RECORD_STOP (switch_core_session_hangup_state
    -> switch_core_media_bug_remove_all -> record_callback CLOSE).  It runs in the channel's
    thread after the current application returns; on a sync socket that application is
    `socket` itself (listener_run), so the listener is gone first: no RECORD_STOP on the
    socket, the file is closed only after the socket.  In async mode the listener thread is
    still there (linger) when the parked socket app returns."""
    sim = sync_setup()
    daemon = DaemonStub()
    call = place(sim, daemon, socket_mode=mode, socket_resume=False)
    caller_hangs_up_after_answers(call, after=2.0)
    path = tmp_path / "call.wav"
    try:
        peer = daemon.accept()
        for command in recorded_bridge(path):                            # FreeSWITCH never closes: we do
            peer.command(command)
        got = peer.read_until(lambda m: m.get("Content-Disposition") == "linger", timeout=sim.clock.real(6) + 2)
        got += peer.drain(sim.clock.real(1) + 0.2)
        names = [m.event_name for m in got if m.event_name]
        assert "RECORD_START" in names
        if mode == "sync":
            assert "RECORD_STOP" not in names and not _header_agrees(path)      # still open while we hold on
        else:
            assert "RECORD_STOP" in names and _header_agrees(path)
        peer.close()
        assert call.wait(2)
        wait_until(lambda: _header_agrees(path), what="the file to be closed")
        assert call.recorded and call.answered_by == ANSWERS_AFTER_2S
    finally:
        daemon.stop()
        sim.stop()


def test_a_recording_no_audio_reached_is_removed_at_its_close(tmp_path):
    """record_callback CLOSE with nothing written: "Discarding empty file", the file is
    removed and RECORD_DISCARDED=true (v1.11.1 switch_ivr_async.c l.1665); RECORD_STOP
    still fires."""
    sim = sync_setup()
    sim.recording_failure = "empty"            # the media never reaches the bug
    daemon = DaemonStub()
    call = place(sim, daemon, socket_mode="async", socket_resume=False)
    caller_hangs_up_after_answers(call, after=2.0)
    path = tmp_path / "call.wav"
    try:
        peer = daemon.accept()
        for command in recorded_bridge(path):
            peer.command(command)
        got = peer.read_until(lambda m: m.event_name == "RECORD_STOP", timeout=sim.clock.real(6) + 2)
        assert "RECORD_START" in [m.event_name for m in got]
        assert not path.exists()
        assert got[-1].event_value("variable_RECORD_DISCARDED") == "true" and call.recorded == {}
        peer.close()
        assert call.wait(2)
    finally:
        daemon.stop()
        sim.stop()
