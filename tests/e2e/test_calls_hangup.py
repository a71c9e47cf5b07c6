"""The caller hangs up while the phones ring: nothing more happens to the call."""
from __future__ import annotations

from tests.e2e.harness import rung, wait_until

IVAN_MOBILE = "+79161234567"


def test_caller_hanging_up_mid_ring_stops_the_plan(h):
    h.employee("anna.smirnova", answer_after=1)                    # would answer the next step
    call = h.call("201", caller_hangs_up_after=8)
    assert rung(call) == [["ivan.petrov", IVAN_MOBILE]]            # no second bridge, anna never rang
    (bridge,) = call.bridges
    assert bridge.disposition == "ORIGINATOR_CANCEL"
    assert [leg.outcome for leg in bridge.legs] == ["ORIGINATOR_CANCEL", "ORIGINATOR_CANCEL"]
    assert call.hangup_cause == "ORIGINATOR_CANCEL"
    assert [name for name, _ in call.apps][-1] == "bridge"        # the daemon sent nothing after it
    record = h.record_of(call)
    assert (record.outcome, record.answered_by) == ("abandoned", "")
    assert [step.action for step in record.steps] == ["ring"]
    assert h.metric("callrouter_calls_total", kind="employee", outcome="abandoned") == 1
    assert h.metric("callrouter_forwards_total", reason="no_answer") == 0


def test_caller_hanging_up_during_the_announcement_rings_no_one(make_harness):
    h = make_harness(scale=0.1)                                    # the 0.5 s announcement lasts 50 ms
    h.employee("s.kuznetsov", answer_after=1)
    call = h.place("205")                                          # elena is absent: announce, then s.kuznetsov
    wait_until(lambda: ("playback", "sounds/absent.wav") in call.apps, what="the announcement")
    call.hangup()
    assert call.wait(5)
    assert call.bridges == [] and call.apps[-1][0] == "playback"
    record = h.record_of(call)
    assert (record.outcome, [step.action for step in record.steps]) == ("abandoned", ["announce"])
