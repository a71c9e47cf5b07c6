"""Forward chains: each next person's own rules, no one twice, at most max_forwards hops."""
import pytest

from routing import plan as route, resume
from routing.types import Call
from tests.routing.builders import Devices, Switches, at, call, company, department, employee, path, rung


def forwards_to(login: str, extension: str, target: dict, **reception) -> dict:
    return employee(login, extension, no_answer={"after": 20, **target}, **reception)


def test_a_colleague_reached_by_forward_is_rung_by_their_own_rules():
    snapshot = company([
        forwards_to("ivan", "201", {"employee": "anna"}),
        employee("anna", "202", mobile="+79161112233", devices="all", mobile_delay=10,
                 no_answer={"after": 30, "voicemail": True}),
    ])
    plan = call(snapshot, "201")
    assert path(plan) == [("ring", "direct", "employee:ivan"), ("ring", "no_answer", "employee:anna"),
                          ("voicemail", "no_answer", "202")]
    assert rung(plan)[1:] == [("anna", "office", 0, 30), ("anna", "mobile", 10, 20)]


def test_a_colleague_off_hours_sends_the_call_to_their_off_hours_target():
    snapshot = company([
        forwards_to("ivan", "201", {"employee": "anna"}),
        employee("anna", "202", schedule={"mon-fri": ["09:00-18:00"]}, off_hours={"message": "anna-away.wav"}),
    ])
    plan = call(snapshot, "201", now=at(2026, 12, 19, 12))                 # Saturday; Ivan has no schedule
    assert path(plan) == [("ring", "direct", "employee:ivan"), ("message", "off_hours", "anna-away.wav")]


def test_a_colleague_absent_sends_the_call_to_their_absence_target():
    snapshot = company([
        forwards_to("ivan", "201", {"employee": "anna"}),
        employee("anna", "202", absences=[{"from": "2026-12-01", "forward": {"employee": "oleg"}}]),
        employee("oleg", "203"),
    ])
    assert path(call(snapshot, "201"))[1:] == [("ring", "absent", "employee:oleg"), ("hangup", "no_answer", "USER_BUSY")]


def test_a_colleague_on_dnd_passes_the_call_on_at_once():
    snapshot = company([forwards_to("ivan", "201", {"employee": "anna"}),
                        forwards_to("anna", "202", {"voicemail": True})])
    plan = call(snapshot, "201", overrides=Switches(dnd_on={"anna"}))
    assert path(plan) == [("ring", "direct", "employee:ivan"), ("voicemail", "dnd", "202")]


def test_a_loop_ends_in_the_voicemail_of_the_person_originally_called():
    snapshot = company([forwards_to("ivan", "201", {"employee": "anna"}),
                        forwards_to("anna", "202", {"employee": "ivan"})])
    plan = call(snapshot, "201")
    assert path(plan) == [("ring", "direct", "employee:ivan"), ("ring", "no_answer", "employee:anna"),
                          ("voicemail", "loop", "201")]
    assert plan.steps[-1].target == "employee:ivan"


def test_a_loop_through_an_absence():
    snapshot = company([
        employee("ivan", "201", absences=[{"from": "2026-12-01", "forward": {"employee": "anna"}}]),
        forwards_to("anna", "202", {"employee": "ivan"}),
    ])
    assert path(call(snapshot, "201")) == [("ring", "absent", "employee:anna"), ("voicemail", "loop", "201")]


def test_a_person_forwarding_to_themselves():
    snapshot = company([forwards_to("ivan", "201", {"employee": "ivan"})])
    assert path(call(snapshot, "201"))[1:] == [("voicemail", "loop", "201")]


def chain(length: int, **settings):
    people = [forwards_to(f"p{i}", str(201 + i), {"employee": f"p{i + 1}"}) for i in range(length)]
    people.append(employee(f"p{length}", str(201 + length), no_answer={"after": 20, "voicemail": True}))
    return company(people, **settings)


@pytest.mark.parametrize("max_forwards, rung_people", [(0, 1), (1, 2), (3, 4), (5, 6)])
def test_the_hop_limit_ends_in_the_voicemail_of_the_person_originally_called(max_forwards, rung_people):
    plan = call(chain(5, max_forwards=max_forwards), "201")
    ringing = [step.target for step in plan.steps if step.action == "ring"]
    assert ringing == [f"employee:p{i}" for i in range(rung_people)]
    if max_forwards < 5:
        assert path(plan)[-1] == ("voicemail", "max_forwards", "201")
    else:
        assert path(plan)[-1] == ("voicemail", "no_answer", "206")


def test_the_default_hop_limit_is_three():
    plan = call(chain(5), "201")
    assert len([s for s in plan.steps if s.action == "ring"]) == 4
    assert path(plan)[-1] == ("voicemail", "max_forwards", "201")


def test_a_department_reached_by_forward_counts_as_a_hop():
    snapshot = company(
        [forwards_to("ivan", "201", {"department": "Продажи"}), employee("anna", "202"), employee("oleg", "203")],
        [department("Продажи", "500", ["anna"], no_answer={"employee": "oleg"})],
        max_forwards=1)
    plan = call(snapshot, "201")
    assert path(plan) == [("ring", "direct", "employee:ivan"), ("ring", "no_answer", "department:Продажи"),
                          ("voicemail", "max_forwards", "201")]


def test_a_department_skips_members_already_rung_in_this_call():
    snapshot = company(
        [forwards_to("ivan", "201", {"department": "Продажи"}), employee("anna", "202")],
        [department("Продажи", "500", ["ivan", "anna"])])
    plan = call(snapshot, "201")
    assert [leg.login for leg in plan.steps[1].legs] == ["anna"]


def test_a_department_whose_members_were_all_rung_goes_to_its_target():
    snapshot = company([forwards_to("ivan", "201", {"department": "Продажи"})],
                       [department("Продажи", "500", ["ivan"])])
    assert path(call(snapshot, "201"))[1:] == [("voicemail", "no_one_available", "500")]


def test_a_department_forwarding_to_a_member_it_rang_is_a_loop():
    snapshot = company([employee("anna", "202"), employee("oleg", "203")],
                       [department("Продажи", "500", ["anna", "oleg"], no_answer={"employee": "anna"})])
    plan = call(snapshot, "500")
    assert path(plan) == [("ring", "department", "department:Продажи"), ("voicemail", "loop", "500")]


def test_a_forward_to_a_person_with_nothing_registered_passes_on_with_reason_unregistered():
    snapshot = company([forwards_to("ivan", "201", {"employee": "anna"}),
                        forwards_to("anna", "202", {"message": "bye.wav"})])
    plan = call(snapshot, "201", presence=Devices(unregistered={"anna"}))
    assert path(plan)[1:] == [("message", "unregistered", "bye.wav")]


# --------------------------------------------------------------------------- forwards decided when reached

def first(snapshot, to: str, now=at(2026, 12, 15, 10), **live):
    """What routing.plan itself returns: the steps up to the first forward after a ring."""
    return route(Call(destination=to, caller="+79035550000"), snapshot, now, **live)


def test_a_forward_after_a_ring_is_left_for_when_the_call_gets_there():
    snapshot = company([forwards_to("ivan", "201", {"employee": "anna"}), employee("anna", "202")])
    plan = first(snapshot, "201")
    assert path(plan) == [("ring", "direct", "employee:ivan")]
    assert plan.then is not None and plan.then.to == "employee:anna" and plan.then.hops == 1


def test_a_forward_before_anything_rang_is_followed_at_once():
    snapshot = company([
        employee("ivan", "201", absences=[{"from": "2026-12-01", "forward": {"employee": "anna"}}]),
        employee("anna", "202"),
    ])
    plan = first(snapshot, "201")
    assert path(plan) == [("ring", "absent", "employee:anna"), ("hangup", "no_answer", "USER_BUSY")]
    assert plan.then is None


def test_the_forward_is_routed_with_the_time_and_the_live_state_of_when_the_call_gets_there():
    snapshot = company([
        forwards_to("ivan", "201", {"department": "Продажи"}),
        employee("anna", "202", schedule={"mon-fri": ["09:00-18:00"]}),
        employee("oleg", "203"),
        employee("petr", "204"),
    ], [department("Продажи", "500", ["anna", "oleg", "petr"])])
    plan = first(snapshot, "201", now=at(2026, 12, 15, 17, 59, 50))
    later = resume(plan.then, snapshot, at(2026, 12, 15, 18, 0, 10), presence=Devices(busy={"oleg"}))
    assert path(later)[0] == ("ring", "no_answer", "department:Продажи")
    assert {leg.login for leg in later.steps[0].legs} == {"petr"}          # Anna's day is over, Oleg on a call
    assert later.reason == "department" and later.target == "department:Продажи"


def test_the_whole_plan_takes_each_forward_up_when_the_ringing_before_it_ends():
    snapshot = company([
        forwards_to("ivan", "201", {"employee": "anna"}),
        employee("anna", "202", schedule={"mon-fri": ["09:00-18:00"]}, off_hours={"message": "anna-away.wav"}),
    ])
    assert path(call(snapshot, "201", now=at(2026, 12, 15, 17, 59, 30)))[1] == ("ring", "no_answer", "employee:anna")
    assert path(call(snapshot, "201", now=at(2026, 12, 15, 17, 59, 50)))[1] == ("message", "off_hours",
                                                                                "anna-away.wav")


def test_a_forward_left_for_later_keeps_the_loop_guard_and_the_hop_count():
    snapshot = company([forwards_to("ivan", "201", {"employee": "anna"}),
                        forwards_to("anna", "202", {"employee": "oleg"}),
                        forwards_to("oleg", "203", {"employee": "ivan"})], max_forwards=5)
    plan = first(snapshot, "201")
    anna = resume(plan.then, snapshot, at(2026, 12, 15, 10, 0, 20))
    oleg = resume(anna.then, snapshot, at(2026, 12, 15, 10, 0, 40))
    assert [path(p) for p in (anna, oleg)] == [[("ring", "no_answer", "employee:anna")],
                                               [("ring", "no_answer", "employee:oleg"), ("voicemail", "loop", "201")]]
    assert oleg.then is None and oleg.steps[-1].target == "employee:ivan"
