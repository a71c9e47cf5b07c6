"""What a caller's CHANNEL_HANGUP_COMPLETE, as a real FreeSWITCH 1.11 sent it, says of a
call whose outbound socket was lost while its bridge ran (daemon.lost_bridge)."""
from __future__ import annotations

from gevent.event import AsyncResult

from daemon.esl.event import Event
from daemon.esl.frames import FrameParser
from daemon.esl.session import Execution
from daemon.executor import SentBridge
from daemon.lost_bridge import ending
from store.records import StepRecord
from tests.daemon_outbound.conftest import office, ring
from tests.daemon_runtime.transcripts import json_events
from tests.esl.transcripts import message

CALLER = "4a0effdb-d67b-4968-820a-f84b176f82b7"      # inbound_05: 1001 calls 1000, who answers
CALLEE = "ad90a373-7d9d-4e99-8c93-e0cdde35fe65"


def caller_hung_up(name: str, uuid: str) -> dict:
    """The caller's CHANNEL_HANGUP_COMPLETE as the daemon's inbound link (`event json`) hands it over."""
    (event,) = [e for e in json_events(name) if e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == uuid]
    return event


def sent(*legs: str, login: str = "1000") -> SentBridge:
    step = ring(office(login))
    run = Execution("bridge", "app-uuid", AsyncResult(), AsyncResult())
    return SentBridge(step, StepRecord("ring"), run, legs)


def test_the_bridge_that_ended_the_call_was_answered_talked_and_hung_up():
    end = ending(caller_hung_up("inbound_05_events_json_during_call", CALLER), sent(CALLEE))
    assert (end.outcome, end.answered_by, end.cause, end.disposition) == ("answered", "1000", "NORMAL_CLEARING",
                                                                          "SUCCESS")
    assert round(end.answered_ago - end.ended_ago, 2) == 3.02          # talk: answered 3.02 s before the hangup
    assert end.ended_ago == 0.0


def test_a_call_whose_last_bridge_was_another_one_is_not_the_plans():
    end = ending(caller_hung_up("inbound_05_events_json_during_call", CALLER), sent("some-other-leg"))
    assert (end.outcome, end.answered_by, end.answered_ago) == ("failed", "", None)
    assert end.cause == "NORMAL_CLEARING"


def test_the_dialplan_going_on_after_an_unanswered_bridge_is_failed():
    """outbound_07d2: the listener closed its socket while the bridge rang; at the leg
    timeout the next dialplan action (`respond 480 Fallback`) ran."""
    raw = message("outbound_07d2_sync_no_resume_listener_closes_while_ringing",
                  b"Event-Name: CHANNEL_HANGUP_COMPLETE", b"Call-Direction: inbound", conn="inbound-monitor")
    (frame,) = FrameParser().feed(raw)
    end = ending(Event.from_frame(frame), sent("8eeb0816-faf1-4a87-a964-344e3eb33572", login="1011"))
    assert (end.outcome, end.answered_ago, end.cause) == ("failed", None, "NO_USER_RESPONSE")
    assert end.disposition == ""                # NO_ANSWER there is our bridge's, but stale after `respond`
