"""The call history: after a call the store holds it once, with the path it took."""
from __future__ import annotations

from store.calls import HistoryQuery

IVAN_MOBILE = "+79161234567"


def test_a_forwarded_call_is_recorded_with_its_path(h):
    h.employee("anna.smirnova", answer_after=2)
    call = h.call("+74951234567", caller="+74957654321")           # the company number
    (record,) = h.history()
    assert record.uuid == call.uuid
    assert (record.caller, record.called, record.direction) == ("+74957654321", "+74951234567", "inbound")
    assert (record.target, record.reason, record.outcome) == ("employee:ivan.petrov", "working", "answered")
    assert (record.answered_by, record.hangup_cause) == ("anna.smirnova", "NORMAL_CLEARING")
    assert record.started < record.answered < record.ended

    first, second = record.steps
    assert (first.action, first.target, first.reason) == ("ring", "employee:ivan.petrov", "direct")
    assert [(leg.device, leg.login, leg.delay, leg.timeout) for leg in first.legs] == [
        ("office", "ivan.petrov", 0, 20), ("mobile", "ivan.petrov", 5, 15)]
    assert IVAN_MOBILE in first.legs[1].dial
    assert first.disposition == "ALLOTTED_TIMEOUT" and first.answered_by == ""    # two legs ran out of leg_timeout
    assert (second.action, second.target, second.reason) == ("ring", "employee:anna.smirnova", "no_answer")
    assert (second.disposition, second.answered_by) == ("SUCCESS", "anna.smirnova")
    assert first.started <= first.ended <= second.started <= second.ended


def test_history_finds_the_calls_of_an_employee_each_once(h):
    h.employee("anna.smirnova", answer_after=1)
    h.employee("s.kuznetsov", answer_after=1)
    forwarded, direct, other = h.call("201"), h.call("202"), h.call("203")
    anna = h.history(HistoryQuery(employee="anna.smirnova"))
    assert sorted(record.uuid for record in anna) == sorted([forwarded.uuid, direct.uuid])
    assert len({record.uuid for record in h.history()}) == len(h.history()) == 3
    assert other.uuid not in {record.uuid for record in anna}
