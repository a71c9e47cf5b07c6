"""Calls over FreeSWITCH's synchronous outbound socket (`socket ADDR full`, the default mode).

Over a synchronous socket a bridge's reply, and every event it fired, come only when the
bridge is over (outbound_07a/b/c).  The daemon must wait out a ring of any length without
its command timeout cutting it, record the answer at the moment it happened, end the legs
of a bridge that outlives its bound before the dialplan goes on (issue 13, item 8), and
make FreeSWITCH write only what it reads.
"""
from __future__ import annotations

import gevent
import pytest

from daemon.executor import CallBounds
from tests.e2e.harness import DOMAIN, wait_until

FALLBACK = {"fallback_dial": f"user/s.kuznetsov@{DOMAIN}"}     # what the dialplan rings when the daemon lets go


def test_a_120_s_ring_is_not_cut_by_the_command_timeout(make_harness):
    h = make_harness(command_timeout=0.3)        # 120 sim s ring for 1.2 real s: four command timeouts
    call = h.call("211")                          # a.volkov: the default 120 s, then busy
    assert call.socket_mode == "sync"
    (bridge,) = call.bridges
    assert bridge.ended_at - bridge.started_at >= 120
    assert not call.fell_back
    assert h.record_of(call).outcome == "busy"
    assert h.metric("callrouter_call_failures_total", stage="timeout") == 0


def test_the_answer_is_recorded_when_it_happened_not_when_the_bridge_reported(h):
    h.employee("a.volkov", answer_after=3)
    call = h.call("211", talk_time=30)
    record = h.record_of(call)
    assert record.answered_by == "a.volkov"
    # 3 s and a ring timer's phase; without the event's own timestamps it would read 33 s
    assert 3 <= (record.answered - record.started).total_seconds() < 6
    assert (record.ended - record.answered).total_seconds() >= 29


def kills(h) -> list[str]:
    return [request.line for request in h.sim.log if request.line.startswith("api uuid_kill")]


def assert_legs_ended_before_the_fallback(call) -> None:
    first, fallback = call.bridges
    assert "a.volkov" in first.dial_string and first.disposition == "NORMAL_CLEARING"
    assert first.ended_at - first.started_at < 100            # ended early, not at the 120 s timeout
    assert fallback.dial_string == FALLBACK["fallback_dial"]
    assert fallback.started_at >= first.ended_at               # never two plans ringing at once
    assert call.fell_back and call.answered_by == "s.kuznetsov"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_bridge_outliving_its_bound_has_its_legs_ended_before_the_dialplan_goes_on(make_harness, mode):
    # The bound is the step's 120 s plus a margin, in real seconds; here it runs out 0.3 real s
    # (30 sim s) into the ring, as if FreeSWITCH's own timers had failed to end it.
    h = make_harness(socket_mode=mode, bounds=CallBounds(ring_margin=-119.7), sim_options=FALLBACK)
    h.employee("s.kuznetsov", answer_after=1)
    call = h.call("211")
    assert_legs_ended_before_the_fallback(call)
    assert len(kills(h)) == 1 and "origination_uuid=" + kills(h)[0].split()[2] in call.bridges[0].dial_string
    assert h.record_of(call).outcome == "failed"
    assert h.metric("callrouter_call_failures_total", stage="timeout") == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stopping_the_daemon_while_a_call_rings_ends_its_legs_then_the_fallback_runs(make_harness, mode):
    h = make_harness(socket_mode=mode, drain_timeout=0, sim_options=FALLBACK)
    h.employee("s.kuznetsov", answer_after=1)
    call = h.place("211")
    wait_until(lambda: h.sim.b_legs, what="the call to ring")
    h.app.stop()
    assert call.wait(5)
    assert_legs_ended_before_the_fallback(call)
    assert kills(h)


def test_an_answered_call_is_left_talking_when_the_daemon_stops(make_harness):
    h = make_harness(drain_timeout=0, sim_options=FALLBACK)
    h.employee("a.volkov", answer_after=1)
    call = h.place("211", talk_time=None)
    wait_until(lambda: call.answered, what="the answer")
    h.app.stop()
    assert not kills(h) and not call.done
    call.hangup()
    assert call.wait(5) and not call.fell_back and call.answered_by == "a.volkov"


@pytest.mark.parametrize("mode, most_events, most_bytes", [("sync", 2, 25_000), ("async", 5, 50_000)])
def test_freeswitch_writes_only_what_the_daemon_reads(make_harness, mode, most_events, most_bytes):
    """An answered call cost FreeSWITCH 123 KB and 15 events with async + myevents (07h)."""
    h = make_harness(socket_mode=mode)
    h.employee("a.volkov", answer_after=2)
    call = h.call("211")
    wait_until(lambda: call.socket_bytes, what="the outbound socket to close")
    assert call.answered_by == "a.volkov"
    assert call.socket_events <= most_events and call.socket_bytes <= most_bytes, (call.socket_events,
                                                                                   call.socket_bytes)


def test_the_callers_hangup_is_not_held_for_the_linger_time(make_harness):
    """On a sync socket the caller's channel stays inside the socket application while the
    socket is open, so FreeSWITCH sends the caller's BYE only when it closes (README: "Seen
    with a full daemon"): the daemon closes as soon as the channel is down, not `linger`
    (here 1 real s = 100 sim s) later."""
    h = make_harness(linger=1)
    h.employee("a.volkov", answer_after=1)
    call = h.call("211", talk_time=5)             # the callee hangs up; hangup_after_bridge ends the caller
    (bridge,) = call.bridges
    assert call.ended_at - bridge.ended_at < 50    # sim seconds (0.5 real s): a linger wait would be 100+


class Crash(BaseException):
    """Not an Exception: the call's greenlet dies without handing anything back, its socket
    closed by the kernel, as when the daemon is killed."""


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_daemon_dying_while_a_call_rings_strands_no_one(make_harness, mode):
    """Nothing can end the legs: they ring to the step's end, then the dialplan goes on."""
    h = make_harness(socket_mode=mode, sim_options=FALLBACK)
    h.employee("s.kuznetsov", answer_after=1)
    call = h.place("211")
    wait_until(lambda: h.sim.b_legs, what="the call to ring")
    gevent.killall(list(h.app.outbound._calls), exception=Crash)
    assert call.wait(5)
    first, fallback = call.bridges
    assert first.ended_at - first.started_at >= 120            # rang to its own timeout
    assert fallback.started_at >= first.ended_at and call.fell_back and call.answered_by == "s.kuznetsov"
