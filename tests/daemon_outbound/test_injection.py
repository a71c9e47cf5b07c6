"""A caller who puts ESL header lines in their name is routed like anyone else."""
from __future__ import annotations

from tests.daemon_outbound.conftest import office, plan, ring
from tests.daemon_outbound.switch import UUID, Call, connect_with, unnamed

# FreeSWITCH passes a caller's %XX through untouched and encodes only ':' and ' ' around them.
FORGED_NAME = "x%0ACaller-Destination-Number%3A%20203%0AEvent-Name%3A%20CHANNEL_HANGUP_COMPLETE"

# The linger notice carries the channel name unencoded: a name holding real line breaks ends
# the notice early and leaves a block without Content-Type behind it.
FORGED_NOTICE = (
    "Content-Type: text/disconnect-notice\n"
    f"Controlled-Session-UUID: {UUID}\n"
    "Content-Disposition: linger\n"
    "Channel-Name: sofia/internal/x\n\n"
    "Event-Name: CHANNEL_HANGUP_COMPLETE\nCaller-Destination-Number: 203@127.0.0.1\n"
    "Linger-Time: 1\n"
    "Content-Length: 0\n\n").encode()


def test_the_real_destination_routes_a_caller_with_forged_header_lines_in_the_name(daemon):
    daemon.route(plan(ring(office("ivan"))))
    daemon.route(AssertionError("routed by the forged destination"), dialled="203")
    call = Call.place(daemon.address, connect_with(Caller_Caller_ID_Name=FORGED_NAME))
    call.app("multiset")
    bridge = call.app("bridge")
    assert unnamed(bridge["execute-app-arg"]) == "[leg_timeout=20]user/ivan@example.com"
    routed = daemon.planner.calls[0]
    assert routed.destination == "2000"
    assert routed.caller_name == "x\nCaller-Destination-Number: 203\nEvent-Name: CHANNEL_HANGUP_COMPLETE"

    call.bridged("ivan")
    call.hang_up("NORMAL_CLEARING", bridge, "SUCCESS")
    record = daemon.records.next()
    assert record.outcome == "answered"
    assert record.caller_name == routed.caller_name


def test_a_notice_cut_short_by_the_callers_name_is_skipped_and_the_call_still_ends_cleanly(daemon):
    daemon.route(plan(ring(office("ivan")), ring(office("anna"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    bridge = call.app("bridge")
    call.send(FORGED_NOTICE)
    call.complete(bridge, "ORIGINATOR_CANCEL", "CANCEL")
    call.hang_up("ORIGINATOR_CANCEL")
    record = daemon.records.next()
    assert call.closed_by_daemon()
    assert call.unread() == []
    assert record.outcome == "abandoned"
    assert record.hangup_cause == "ORIGINATOR_CANCEL"
    daemon.settled()
    assert daemon.value("callrouter_esl_junk_frames_total") == 1
    assert daemon.value("callrouter_call_failures_total", stage="protocol") == 0
