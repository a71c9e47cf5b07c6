"""A call over a synchronous socket (`Socket-Mode: static`), scripted with outbound_07f1's bytes.

Over a sync socket the bridge's reply and its completion come only when the bridge is
over, long after any command timeout; the completion is all the daemon hears of the
answer; the linger notice is the end (no CHANNEL_HANGUP_COMPLETE ever comes) and the
daemon closes at once, since an open socket holds the caller's BYE; a call handed back
is only closed, never `resume`d (that would leave the caller in CS_RESET, 07d).
"""
from __future__ import annotations

import datetime as dt

import gevent

from tests.daemon_outbound.conftest import NOW, office, plan, ring
from tests.daemon_outbound.switch import Call, connect_with
from tests.esl import transcripts
from tests.esl.peer import reply

OUT_07F1 = "outbound_07f1_sync_event_plain_and_filter_reduced_subscription"
SYNC = connect_with(Socket_Mode="static")
BRIDGE_DONE = transcripts.event_body(transcripts.message(OUT_07F1, b"Application: bridge", conn="outbound"))
LINGER = transcripts.message(OUT_07F1, b"Content-Disposition: linger", conn="outbound")


def answered_completion(app: dict[str, str]) -> bytes:
    body = transcripts.with_header(BRIDGE_DONE, "Application-UUID", app["Event-UUID"])
    body = transcripts.with_header(body, "Other-Leg-Destination-Number", "ivan")
    fired = int(body.split(b"Event-Date-Timestamp: ")[1].split(b"\n")[0])
    body = transcripts.with_header(body, "Caller-Channel-Answered-Time", str(fired - 30_000_000))
    return transcripts.plain_event(body)


def test_a_bridge_answered_and_over_long_after_the_command_timeout(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address, SYNC)
    call.app("multiset")
    bridge = call.app_unanswered("bridge")
    gevent.sleep(0.75)                              # half as long again as the command timeout (0.5 s)
    daemon.clock.advance(40)
    call.send(reply() + answered_completion(bridge) + LINGER)
    record = daemon.records.next()
    assert call.closed_by_daemon(timeout=1)         # at once: no linger wait, no resume
    assert call.unread() == []
    assert (record.outcome, record.answered_by) == ("answered", "ivan")
    assert record.answered == NOW + dt.timedelta(seconds=10)      # 30 s before the completion fired
    assert record.hangup_cause == "NORMAL_CLEARING"
    assert daemon.value("callrouter_call_failures_total", stage="timeout") == 0


def test_a_sync_call_handed_back_is_closed_without_resume(daemon):
    daemon.route(plan(ring(office("ivan", timeout=0), timeout=0)))     # the bound runs out at once
    call = Call.place(daemon.address, SYNC)
    call.app("multiset")
    call.app_unanswered("bridge")
    assert call.closed_by_daemon()
    assert all(not command.startswith("resume") for command in call.unread())
    assert daemon.records.next().outcome == "failed"
