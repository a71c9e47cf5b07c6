"""A call's outbound ESL connection lost while its bridge runs: the record still says what happened.

FreeSWITCH runs the bridge on without the socket (sync: in the channel's own thread,
outbound_07d/07d2; async: the park loop ends it first), so the callee may answer and talk
while the daemon hears nothing more on that socket.  The daemon learns the end from its
inbound link (the caller's CHANNEL_HANGUP_COMPLETE) and writes the record from it; when
the link cannot tell, the record is written all the same, as `failed`, with a warning.
"""
from __future__ import annotations

import logging

import pytest

from config.access import COMPANY, Scope
from daemon.executor import CallBounds
from store.history import call_detail
from tests.e2e.harness import DOMAIN, Harness, wait_until

SCALE = 0.005                  # 180 sim s of talk in 0.9 real s
MALFORMED = b"Content-Type: text/event-plain\nContent-Length: 12x\n\n"     # bench/faults_bench.py's
TALK = 180
SLACK = 5                      # sim s (25 ms real): a loaded machine's scheduling, far below the
                               # difference checked (the real moments against the moment of the loss)


def lose_socket(h: Harness, call, how: str = "cut") -> None:
    """What bench/faults_bench.py's esl_cut and malformed_frame do to a call."""
    session = h.sim.outbound_session(call.uuid)
    assert session is not None, "the call's socket is already closed"
    if how == "cut":
        session.outbox.abort()
    else:
        session.outbox.send(MALFORMED)


def ringing(h: Harness) -> None:
    """The bridge's legs ring (a callee may answer at once, on a slow machine: the same record)."""
    wait_until(lambda: h.sim.b_legs, what="the bridge to ring")


def seconds(start, end) -> float:
    return (end - start).total_seconds()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("how", ["cut", "malformed"])
def test_lost_while_ringing_then_answered_and_talked_records_who_answered_and_the_talk(make_harness, mode, how):
    h = make_harness(socket_mode=mode, scale=SCALE)
    h.employee("b.zaitsev", answer_after=20)
    call = h.place("300", talk_time=TALK)               # Продажи: a.volkov and b.zaitsev at once
    ringing(h)
    lose_socket(h, call, how)
    assert call.wait(5)
    assert call.answered_by == "b.zaitsev" and not call.fell_back       # FreeSWITCH's bridge went on
    record = h.record_of(call)
    assert (record.outcome, record.answered_by, record.hangup_cause) == ("answered", "b.zaitsev", "NORMAL_CLEARING")
    assert 20 <= seconds(record.started, record.answered) < 20 + SLACK
    assert abs(seconds(record.answered, record.ended) - TALK) < SLACK
    (step,) = record.steps
    assert (step.answered_by, step.disposition) == ("b.zaitsev", "SUCCESS")
    assert h.metric("callrouter_lost_bridges_total", learned="answered") == 1
    assert h.metric("callrouter_calls_total", kind="department", outcome="answered") == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_lost_while_talking_records_the_real_end_not_the_moment_of_the_loss(make_harness, mode):
    h = make_harness(socket_mode=mode, scale=SCALE)
    h.employee("a.volkov", answer_after=3)
    call = h.place("211", talk_time=TALK)
    wait_until(lambda: call.answered, what="the answer")
    lose_socket(h, call)
    assert call.wait(5)
    record = h.record_of(call)
    assert (record.outcome, record.answered_by, record.hangup_cause) == ("answered", "a.volkov", "NORMAL_CLEARING")
    assert abs(seconds(record.answered, record.ended) - TALK) < SLACK


def test_the_caller_giving_up_after_the_loss_is_abandoned(make_harness):
    h = make_harness(scale=SCALE)
    call = h.place("211", caller_hangs_up_after=40)      # a.volkov never answers
    ringing(h)
    lose_socket(h, call)
    assert call.wait(5)
    record = h.record_of(call)
    assert (record.outcome, record.answered_by) == ("abandoned", "")
    assert record.steps[0].disposition == "ORIGINATOR_CANCEL"
    everything = Scope(viewer="admin", role="admin", kind=COMPANY, internal=True)
    assert [s.ended_because for s in call_detail(h.app.store.store, everything, call.uuid).path] == \
        ["caller_hung_up"]
    assert 39 <= seconds(record.started, record.ended) < 40 + SLACK


def test_a_bridge_nobody_answered_then_the_dialplans_fallback_is_failed(make_harness):
    """The dialplan's fallback rang someone after the bridge: the plan no longer had the call."""
    h = make_harness(scale=SCALE, sim_options={"fallback_dial": f"user/s.kuznetsov@{DOMAIN}"})
    h.employee("s.kuznetsov", answer_after=1)
    call = h.place("204", talk_time=30)                   # boris.ivanov: 10 s, then busy
    ringing(h)
    lose_socket(h, call)
    assert call.wait(5)
    assert call.fell_back and call.answered_by == "s.kuznetsov"
    record = h.record_of(call)
    assert (record.outcome, record.answered_by, record.hangup_cause) == ("failed", "", "NORMAL_CLEARING")
    assert seconds(record.started, record.ended) >= 40     # written when the fallback's call ended
    assert h.metric("callrouter_lost_bridges_total", learned="failed") == 1


@pytest.mark.parametrize("drop, why", [("before", "the inbound ESL link is down"),
                                       ("while waiting", "the inbound ESL link went down while the call went on")])
def test_with_the_inbound_link_down_too_the_record_is_written_failed_and_says_so(make_harness, caplog, drop, why):
    h = make_harness(scale=SCALE)
    h.employee("a.volkov", answer_after=3)

    def drop_the_inbound_link() -> None:
        h.sim.set_inbound_available(False)
        h.sim.drop_inbound()
        wait_until(lambda: not h.app.inbound.connected, what="the inbound link to drop")

    if drop == "before":
        drop_the_inbound_link()
    call = h.place("211", talk_time=TALK)
    ringing(h)
    with caplog.at_level(logging.WARNING, logger="daemon.outbound"):
        lose_socket(h, call)
        if drop == "while waiting":
            wait_until(lambda: any("waiting up to" in r.getMessage() for r in caplog.records), what="the wait")
            drop_the_inbound_link()
        record = h.record_of(call)                         # at once: not when the call ends
    assert not call.done
    assert record.outcome == "failed" and record.answered_by == ""
    (warning,) = [r for r in caplog.records if "end is unknown" in r.getMessage()]
    assert why in warning.getMessage() and warning.uuid == call.uuid
    assert h.metric("callrouter_lost_bridges_total", learned="unknown") == 1
    # «Путь звонка» does not claim the caller hung up: nobody can say how the ringing ended
    everything = Scope(viewer="admin", role="admin", kind=COMPANY, internal=True)
    (ring,) = call_detail(h.app.store.store, everything, call.uuid).path
    assert ring.ended_because == "unknown"
    h.sim.set_inbound_available(True)
    assert call.wait(5) and call.answered_by == "a.volkov"


def test_a_call_outliving_the_bound_is_recorded_when_the_bound_runs_out(make_harness, caplog):
    h = make_harness(scale=SCALE, bounds=CallBounds(lost=0.2))
    h.employee("a.volkov", answer_after=3)
    call = h.place("211", talk_time=TALK)
    ringing(h)
    with caplog.at_level(logging.WARNING, logger="daemon.outbound"):
        lose_socket(h, call)
        record = h.record_of(call)
    assert not call.done and record.outcome == "failed"
    assert any("had not ended after 0.2 s" in r.getMessage() for r in caplog.records)
    assert h.app.hangups.watched == 0
