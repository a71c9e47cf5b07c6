"""Calls to a department, one test per strategy (company.yaml: members a.volkov,
b.zaitsev, c.morozov in that order; member_timeout 10 s except the simultaneous one).

Each leg's start/end are sim seconds from the bridge start; whole-second timers put
a 10 s slot boundary at 10.2–10.9 s.
"""
from __future__ import annotations

from tests.e2e.harness import rung, wait_until

MEMBERS = ("a.volkov", "b.zaitsev", "c.morozov")


def legs_by_target(call, bridge: int = 0) -> dict:
    return {leg.target: leg for leg in call.bridges[bridge].legs}


def dial_order(call, bridge: int = 0) -> list[str]:
    """The members in the order the bridge would ring them."""
    return [leg.target for leg in call.bridges[bridge].legs]


def answering(h, login: str, after: float = 2) -> None:
    """Only `login` picks up (after `after` sim seconds); the other members just ring."""
    for member in MEMBERS:
        h.employee(member, answer_after=after if member == login else None)


def test_simultaneous_rings_every_member_at_once(h):
    answering(h, "b.zaitsev")
    call = h.call("300")
    legs = legs_by_target(call)
    assert [legs[m].start for m in ("a.volkov", "b.zaitsev")] == [0.0, 0.0]
    assert call.answered_by == "b.zaitsev" and legs["a.volkov"].outcome == "LOSE_RACE"
    record = h.record_of(call)
    assert (record.target, record.answered_by, record.reason) == ("department:Продажи", "b.zaitsev", "department")
    assert h.metric("callrouter_calls_total", kind="department", outcome="answered") == 1


def test_sequential_rings_one_after_another_and_stops_the_previous(h):
    answering(h, "c.morozov")
    call = h.call("301")
    a, b, c = (legs_by_target(call)[m] for m in MEMBERS)
    assert a.start == 0 and 10.2 <= b.start <= 10.9 and 20.2 <= c.start <= 20.9
    assert a.end <= b.start and b.end <= c.start              # the previous member stops ringing
    assert call.answered_by == "c.morozov"
    assert h.record_of(call).answered_by == "c.morozov"


def test_cascade_adds_a_member_every_slot_and_keeps_the_earlier_ringing(h):
    answering(h, "c.morozov", after=3)
    call = h.call("302")
    a, b, c = (legs_by_target(call)[m] for m in MEMBERS)
    assert a.start == 0 and 10.2 <= b.start <= 10.9 and 20.2 <= c.start <= 20.9
    assert a.end == b.end == c.end == c.start + 3             # all three rang until c.morozov answered
    assert (a.outcome, b.outcome, call.answered_by) == ("LOSE_RACE", "LOSE_RACE", "c.morozov")


def test_round_robin_starts_one_member_further_each_call(h):
    for member in MEMBERS:
        h.employee(member, answer_after=2)
    first, second, third, fourth = (h.call("303") for _ in range(4))
    assert dial_order(first) == ["a.volkov", "b.zaitsev", "c.morozov"]
    assert dial_order(second) == ["b.zaitsev", "c.morozov", "a.volkov"]
    assert [rung(call) for call in (first, second, third, fourth)] == [
        [["a.volkov"]], [["b.zaitsev"]], [["c.morozov"]], [["a.volkov"]]]
    assert [record.answered_by for record in h.history()] == ["a.volkov", "b.zaitsev", "c.morozov", "a.volkov"]


def test_longest_idle_rings_whoever_has_been_free_longest_first(h):
    for member in MEMBERS:
        h.employee(member, answer_after=2)
    assert h.call("212").answered_by == "b.zaitsev"             # b.zaitsev's last call: now
    h.clock.advance(60)
    assert h.call("211").answered_by == "a.volkov"              # a.volkov's: a minute later
    h.clock.advance(60)
    first = h.call("304")
    assert dial_order(first) == ["c.morozov", "b.zaitsev", "a.volkov"]   # c.morozov never answered
    assert first.answered_by == "c.morozov"
    h.clock.advance(60)
    second = h.call("304")
    assert dial_order(second) == ["b.zaitsev", "a.volkov", "c.morozov"]
    assert second.answered_by == "b.zaitsev"


def test_longest_idle_counts_from_the_end_of_a_long_call(h):
    """A member who has just finished an hour-long call has not been idle for an hour."""
    for member in MEMBERS:
        h.employee(member, answer_after=1)
    long_call = h.place("211", talk_time=None)                   # a.volkov answers and talks...
    wait_until(lambda: long_call.answered, what="a.volkov to answer")
    h.clock.advance(3600)
    assert h.call("212").answered_by == "b.zaitsev"             # b.zaitsev takes a short call
    assert h.call("213").answered_by == "c.morozov"             # then c.morozov
    wait_until(lambda: h.app.outbound.active == 1, what="the short calls to be done")
    h.clock.advance(60)
    long_call.hangup()                                          # ...and a.volkov hangs up last
    assert long_call.wait(5)
    h.settle()
    assert dial_order(h.call("304")) == ["b.zaitsev", "c.morozov", "a.volkov"]


def test_a_member_on_a_call_is_skipped(h):
    for member in MEMBERS:
        h.employee(member, answer_after=1)
    busy = h.place("211", talk_time=None)                      # a.volkov answers and stays on the line
    wait_until(lambda: h.app.presence.is_busy("a.volkov"), what="a.volkov busy in presence")
    call = h.call("301")
    assert "a.volkov" not in dial_order(call)
    assert call.answered_by == "b.zaitsev"
    busy.hangup()
    assert busy.wait(5)


def test_a_forward_rings_whoever_is_available_when_the_call_gets_there(make_harness):
    """Anna forwards unanswered calls to Продажи after 15 s: a member whose phone
    registers while Anna's rings is rung too (the department is routed at 15 s, not
    when the call came in)."""
    h = make_harness(scale=0.05)                            # Anna's 15 s: 0.75 s, for the registration to arrive
    h.employee("anna.smirnova")                             # never answers
    h.employee("a.volkov", registered=False)
    h.employee("b.zaitsev", answer_after=2)
    call = h.place("202")
    wait_until(lambda: call.bridges, what="Anna's phone to ring")
    h.register("a.volkov")
    assert call.wait(5)
    assert rung(call) == [["anna.smirnova"], ["a.volkov", "b.zaitsev"]]
    assert call.answered_by == "b.zaitsev"
    record = h.record_of(call)
    assert [(step.action, step.target) for step in record.steps] == [
        ("ring", "employee:anna.smirnova"), ("ring", "department:Продажи")]
    assert (record.target, record.reason, record.outcome) == ("employee:anna.smirnova", "working", "answered")


def test_a_department_follows_its_members_phones_from_one_call_to_the_next(h):
    """Who rings in Продажи (simultaneous) as its members' phones unregister, come
    back and take calls: what the inbound link says now, not at the department's
    first call."""
    h.employee("b.zaitsev", answer_after=1)
    assert dial_order(h.call("300")) == ["a.volkov", "b.zaitsev"]
    h.unregister("a.volkov")
    assert dial_order(h.call("300")) == ["b.zaitsev"]            # not dialled at all
    h.register("a.volkov")
    assert dial_order(h.call("300")) == ["a.volkov", "b.zaitsev"]
