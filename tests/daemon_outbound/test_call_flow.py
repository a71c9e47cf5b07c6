"""What the daemon sends FreeSWITCH for each kind of step, and what it makes of the answers."""
from __future__ import annotations

import datetime as dt

from routing.types import Step
from tests.daemon_outbound.conftest import NOW, mobile, office, plan, ring
from tests.daemon_outbound.switch import UUID, Call, leg_names, unnamed


def test_an_answered_call_sets_the_channel_up_then_bridges_and_waits_for_the_hangup(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    variables = call.app("multiset")
    assert variables["execute-app-arg"] == "continue_on_fail=true hangup_after_bridge=true ringback=%(800,3200,425)"
    assert variables["event-lock"] == "true"
    bridge = call.app("bridge")
    assert unnamed(bridge["execute-app-arg"]) == "[leg_timeout=20]user/ivan@example.com"
    assert len(leg_names(bridge["execute-app-arg"])) == 1
    daemon.clock.advance(4)
    call.bridged("ivan")
    daemon.wait_answered()
    daemon.clock.advance(60)
    call.hang_up("NORMAL_CLEARING", bridge, "SUCCESS")

    record = daemon.records.next()
    assert call.closed_by_daemon()
    assert (record.uuid, record.called, record.caller, record.outcome) == (UUID, "2000", "1001", "answered")
    assert record.answered_by == "ivan"
    assert record.started == NOW
    assert record.answered == NOW + dt.timedelta(seconds=4)
    assert record.ended == NOW + dt.timedelta(seconds=64)
    assert record.hangup_cause == "NORMAL_CLEARING"
    assert [(s.action, s.disposition, s.answered_by) for s in record.steps] == [("ring", "SUCCESS", "ivan")]
    assert [leg.dial for leg in record.steps[0].legs] == ["[leg_timeout=20]user/ivan@example.com"]
    daemon.settled()
    assert daemon.value("callrouter_calls_total", kind="employee", outcome="answered") == 1
    assert daemon.value("callrouter_call_setup_seconds_count") == 1
    assert daemon.value("callrouter_routing_decision_seconds_count") == 1
    assert daemon.value("callrouter_active_calls") == 0


def test_the_answering_member_is_named_and_reported_for_rotation(daemon):
    step = ring(office("anna"), office("ivan"), mobile("petr", "+79161234567"), target="department:sales",
                reason="department")
    daemon.route(plan(step, reason="department", target="department:sales", kind="department"))
    call = Call.place(daemon.address)
    call.app("multiset")
    bridge = call.app("bridge")
    assert unnamed(bridge["execute-app-arg"]) == step.dial
    assert len(set(leg_names(bridge["execute-app-arg"]))) == 3          # each leg can be ended on its own
    call.bridged("+79161234567", "sofia/external/+79161234567")
    call.hang_up("NORMAL_CLEARING", bridge, "SUCCESS")
    record = daemon.records.next()
    assert record.answered_by == "petr"
    assert daemon.answered == [("sales", "petr")]


def test_user_busy_goes_on_to_the_next_step_without_setting_the_channel_up_again(daemon):
    daemon.route(plan(ring(office("ivan")), ring(mobile("ivan", "+79161234567"), reason="no_answer"),
                      Step("voicemail", mailbox="201", reason="no_answer")))
    call = Call.place(daemon.address)
    call.app("multiset")
    first = call.app("bridge")
    call.complete(first, "USER_BUSY", "BUSY")
    second = call.app("bridge")
    assert unnamed(second["execute-app-arg"]) == "[leg_delay_start=0,leg_timeout=20]sofia/gateway/trunk/+79161234567"
    call.complete(second, "NO_ANSWER", "NOANSWER")
    call.app("answer")
    voicemail = call.app("voicemail")
    assert voicemail["execute-app-arg"] == "default example.com 201"
    call.complete(voicemail)
    call.app("hangup")
    call.hang_up("NORMAL_CLEARING")

    record = daemon.records.next()
    assert record.outcome == "voicemail"
    assert [(s.action, s.disposition) for s in record.steps] == [
        ("ring", "USER_BUSY"), ("ring", "NO_ANSWER"), ("voicemail", "")]
    assert daemon.value("callrouter_forwards_total", reason="busy") == 1
    assert daemon.value("callrouter_forwards_total", reason="no_answer") == 1


def test_unregistered_counts_as_its_own_forward_reason(daemon):
    daemon.route(plan(ring(office("ivan")), Step("hangup", cause="USER_BUSY", reason="no_answer")))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.complete(call.app("bridge"), "USER_NOT_REGISTERED")
    assert call.app("hangup")["execute-app-arg"] == "USER_BUSY"
    call.hang_up("USER_BUSY")
    assert daemon.records.next().outcome == "busy"
    assert daemon.value("callrouter_forwards_total", reason="unregistered") == 1


def test_a_disposition_missing_falls_back_on_dialstatus(daemon):
    daemon.route(plan(ring(office("ivan")), Step("hangup", cause="USER_BUSY")))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.complete(call.app("bridge"), dialstatus="BUSY")
    call.app("hangup")
    call.hang_up("USER_BUSY")
    assert daemon.records.next().steps[0].disposition == "USER_BUSY"


def test_the_caller_hanging_up_while_it_rings_stops_the_plan(daemon):
    daemon.route(plan(ring(office("ivan")), Step("voicemail", mailbox="201")))
    call = Call.place(daemon.address)
    call.app("multiset")
    bridge = call.app("bridge")
    call.hang_up("ORIGINATOR_CANCEL", bridge, "ORIGINATOR_CANCEL")
    record = daemon.records.next()
    assert call.closed_by_daemon()
    assert call.unread() == []
    assert record.outcome == "abandoned"
    assert record.hangup_cause == "ORIGINATOR_CANCEL"
    assert [(s.action, s.disposition) for s in record.steps] == [("ring", "ORIGINATOR_CANCEL")]
    daemon.settled()
    assert daemon.value("callrouter_calls_total", kind="employee", outcome="abandoned") == 1
    assert daemon.value("callrouter_forwards_total", reason="no_answer") == 0


def test_originator_cancel_in_the_completion_alone_also_stops_the_plan(daemon):
    daemon.route(plan(ring(office("ivan")), ring(office("anna"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.complete(call.app("bridge"), "ORIGINATOR_CANCEL", "CANCEL")
    call.hang_up("ORIGINATOR_CANCEL")
    assert daemon.records.next().outcome == "abandoned"
    assert call.closed_by_daemon()
    assert call.unread() == []


def test_an_announcement_plays_before_the_next_step(daemon):
    daemon.route(plan(Step("announce", file="/sounds/vacation.wav", reason="absent"),
                      ring(office("anna"), reason="absent"), reason="absent"))
    call = Call.place(daemon.address)
    playback = call.app("playback")
    assert playback["execute-app-arg"] == "/sounds/vacation.wav"
    call.complete(playback)
    call.app("multiset")
    bridge = call.app("bridge")
    call.bridged("anna")
    call.hang_up("NORMAL_CLEARING", bridge, "SUCCESS")
    record = daemon.records.next()
    assert record.outcome == "answered"
    assert [s.action for s in record.steps] == ["announce", "ring"]
    assert daemon.value("callrouter_forwards_total", reason="absent") == 1


def test_a_message_answers_plays_and_hangs_up(daemon):
    daemon.route(plan(Step("message", file="/sounds/closed.wav", reason="off_hours"), reason="off_hours"))
    call = Call.place(daemon.address)
    assert [call.app(name)["execute-app-name"] for name in ("answer", "playback", "hangup")] == [
        "answer", "playback", "hangup"]
    call.hang_up("NORMAL_CLEARING")
    record = daemon.records.next()
    assert record.outcome == "message"
    daemon.settled()
    assert daemon.value("callrouter_calls_total", kind="employee", outcome="message") == 1
    assert daemon.value("callrouter_forwards_total", reason="off_hours") == 1
    assert daemon.value("callrouter_call_setup_seconds_count") == 0


def test_an_unknown_number_is_hung_up_unallocated(daemon):
    daemon.route(plan(Step("hangup", cause="UNALLOCATED_NUMBER"), reason="unknown_number", target="",
                      kind="unknown"))
    call = Call.place(daemon.address)
    assert call.app("hangup")["execute-app-arg"] == "UNALLOCATED_NUMBER"
    call.hang_up("UNALLOCATED_NUMBER")
    assert daemon.records.next().outcome == "unknown_number"
    daemon.settled()
    assert daemon.value("callrouter_calls_total", kind="unknown", outcome="unknown_number") == 1


def test_when_the_plan_runs_out_the_call_is_cleared(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.complete(call.app("bridge"), "ALLOTTED_TIMEOUT")
    assert call.app("hangup")["execute-app-arg"] == "NORMAL_CLEARING"
    call.hang_up("NORMAL_CLEARING")
    assert daemon.records.next().outcome == "busy"
    assert daemon.value("callrouter_forwards_total", reason="no_answer") == 0


def test_the_decision_and_the_outcome_are_logged_with_the_call_uuid(daemon, caplog):
    caplog.set_level("INFO")
    daemon.route(plan(ring(office("ivan")), Step("hangup", cause="USER_BUSY")))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.complete(call.app("bridge"), "USER_BUSY")
    call.app("hangup")
    call.hang_up("USER_BUSY")
    daemon.records.next()
    lines = {r.getMessage(): r for r in caplog.records if getattr(r, "uuid", None) == UUID}
    routed, ended = lines["call routed"], lines["call ended"]
    assert (routed.to, routed.reason, routed.target, routed.steps) == ("2000", "working", "employee:ivan", 2)
    assert lines["bridge not answered"].disposition == "USER_BUSY"
    assert (ended.outcome, ended.cause) == ("busy", "USER_BUSY")
