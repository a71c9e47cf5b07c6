"""Direct calls to an employee: which devices ring and when, who answers, and where a
call nobody answers goes (colleague, department, voicemail, busy), off hours and absent.

Times are sim seconds.  FreeSWITCH's ring timers tick in whole seconds: a 5 s
`leg_delay_start` starts a leg at 5.2–5.9 s, and a leg's `leg_timeout=T` (the
caller's wait, `no_answer.after`) ends it within the second after T; the bridge's
`originate_timeout` is one second longer, a safety net that never fires first.
"""
from __future__ import annotations

import datetime as dt

from tests.e2e.conftest import MONDAY_NOON
from tests.e2e.harness import rung

IVAN_MOBILE = "+79161234567"
DOMAIN = "pbx.romashka.local"


def app_names(call) -> list[str]:
    return [name for name, _ in call.apps]


def bridge_gap(call, first: int, second: int) -> float:
    """Sim seconds from the start of one bridge to the start of another."""
    return call.bridges[second].started_at - call.bridges[first].started_at


def waited(gap: float, seconds: int) -> bool:
    """Did the caller wait the full `seconds` (the legs' own timers, see above)?

    The upper bound leaves a sim second for the daemon's turnaround on a loaded
    machine (a sim second is 10 ms of real time at scale 0.01).
    """
    return seconds < gap < seconds + 2


def test_the_office_phone_answers(h):
    h.employee("s.kuznetsov", answer_after=3)
    call = h.call("203")
    assert rung(call) == [["s.kuznetsov"]]
    assert call.answered_by == "s.kuznetsov" and call.hangup_cause == "NORMAL_CLEARING"
    assert 3 <= call.bridges[0].legs[0].end < 4
    record = h.record_of(call)
    assert (record.outcome, record.answered_by, record.target) == ("answered", "s.kuznetsov", "employee:s.kuznetsov")
    assert h.metric("callrouter_calls_total", kind="employee", outcome="answered") == 1


def test_devices_all_brings_the_mobile_in_after_mobile_delay(h):
    h.sim.mobile(IVAN_MOBILE, answer_after=3)
    call = h.call("201")
    (bridge,) = call.bridges
    office, mobile = bridge.legs
    assert (office.target, office.start) == ("ivan.petrov", 0.0)
    assert mobile.target == IVAN_MOBILE and 5.2 <= mobile.start <= 5.9
    assert call.answered_by == IVAN_MOBILE and office.outcome == "LOSE_RACE"     # the desk phone stops
    assert h.record_of(call).answered_by == "ivan.petrov"


def test_no_answer_goes_to_the_colleague(h):
    h.employee("anna.smirnova", answer_after=2)
    call = h.call("201")
    assert rung(call) == [["ivan.petrov", IVAN_MOBILE], ["anna.smirnova"]]
    assert waited(bridge_gap(call, 0, 1), 20)                      # `no_answer.after: 20`
    assert call.answered_by == "anna.smirnova"
    record = h.record_of(call)
    assert (record.outcome, record.answered_by) == ("answered", "anna.smirnova")
    assert h.metric("callrouter_forwards_total", reason="no_answer") == 1


def test_no_answer_goes_to_the_department(h):
    h.employee("b.zaitsev", answer_after=4)
    call = h.call("202")
    assert rung(call) == [["anna.smirnova"], ["a.volkov", "b.zaitsev"]]
    assert waited(bridge_gap(call, 0, 1), 15)
    assert call.answered_by == "b.zaitsev"
    record = h.record_of(call)
    assert record.target == "employee:anna.smirnova"
    assert [step.target for step in record.steps] == ["employee:anna.smirnova", "department:Продажи"]


def test_no_answer_goes_to_voicemail_after_answering_the_call(h):
    call = h.call("203")
    assert rung(call) == [["s.kuznetsov"]]
    names = app_names(call)
    assert names.index("bridge") < names.index("answer") < names.index("voicemail")
    assert ("voicemail", f"default {DOMAIN} 203") in call.apps
    assert call.voicemail == "203" and call.voicemail_after_answer is True
    assert h.record_of(call).outcome == "voicemail"


def test_no_answer_with_hangup_gives_the_caller_busy(h):
    call = h.call("204")
    assert rung(call) == [["boris.ivanov"]]
    assert call.hangup_cause == "USER_BUSY"
    assert waited(call.ended_at - call.bridges[0].started_at, 10)
    assert "answer" not in app_names(call)                         # busy tone, never answered
    record = h.record_of(call)
    assert (record.outcome, record.hangup_cause) == ("busy", "USER_BUSY")


def test_off_hours_goes_straight_to_voicemail(make_harness):
    h = make_harness(now=MONDAY_NOON.replace(hour=20))             # ivan works 09:00-18:00
    call = h.call("201")
    assert call.bridges == []                                      # no device rang
    assert call.voicemail == "201" and call.voicemail_after_answer is True
    record = h.record_of(call)
    assert (record.reason, record.outcome) == ("off_hours", "voicemail")
    assert h.metric("callrouter_forwards_total", reason="off_hours") == 1


def test_the_next_morning_the_schedule_rings_again(make_harness):
    h = make_harness(now=MONDAY_NOON.replace(hour=20))
    assert h.call("201").bridges == []
    h.clock.set(MONDAY_NOON + dt.timedelta(days=1, hours=-3))      # Tuesday 09:00
    h.sim.mobile(IVAN_MOBILE, answer_after=1)
    assert rung(h.call("201"))[0] == ["ivan.petrov", IVAN_MOBILE]


def test_an_absent_employee_announces_then_forwards(h):
    h.employee("s.kuznetsov", answer_after=2)
    call = h.call("205")
    names = app_names(call)
    assert ("playback", "sounds/absent.wav") in call.apps
    assert names.index("playback") < names.index("bridge")         # the caller hears why first
    assert rung(call) == [["s.kuznetsov"]]                         # elena's phone never rings
    assert call.answered_by == "s.kuznetsov"
    record = h.record_of(call)
    assert (record.reason, record.target, record.answered_by) == ("absent", "employee:elena.orlova", "s.kuznetsov")
    assert [step.action for step in record.steps] == ["announce", "ring"]
