"""Department calls: strategies (golden dial strings), who is skipped, and where the call ends."""
import datetime as dt

import pytest

from routing import kind_of
from tests.routing.builders import (MSK, Devices, Switches, Turns, at, call, company, department, employee, path,
                                    rung)

D = "pbx.romashka.local"
# The caller's own number, shown on the mobiles: call-wide, as every leg shows it anyway.
HEAD = "{originate_timeout=26,ignore_early_media=true,origination_caller_id_number=+79035550000}"
MOBILE_B = "sofia/gateway/trunk/+79161110002"
MOBILE_C = "sofia/gateway/trunk/+79161110003"


def sales(strategy: str = "simultaneous", members=("a", "b", "c"), extra_people=(), **settings):
    """a: desk phone; b: desk phone, mobile after 5 s; c: mobile only.  Slot 10 s, total 25 s."""
    people = [
        employee("a", "201", no_answer={"after": 60, "employee": "b"}),
        employee("b", "202", mobile="+79161110002", devices="all", mobile_delay=5),
        employee("c", "203", mobile="+79161110003", devices="mobile"),
        *extra_people,
    ]
    settings = {"strategy": strategy, "member_timeout": 10, "timeout": 25, **settings}
    return company(people, [department("Продажи", "500", members, **settings)])


# --------------------------------------------------------------------------- strategies

GOLDEN = {
    "simultaneous": (
        HEAD +
        f"[leg_timeout=25]user/a@{D},"
        f"[leg_timeout=25]user/b@{D},"
        f"[leg_timeout=20,leg_delay_start=5]{MOBILE_B},"
        f"[leg_timeout=25]{MOBILE_C}"),
    "sequential": (
        HEAD +
        f"[leg_timeout=10]user/a@{D},"
        f"[leg_timeout=10,leg_delay_start=10]user/b@{D},"
        f"[leg_timeout=5,leg_delay_start=15]{MOBILE_B},"
        f"[leg_timeout=5,leg_delay_start=20]{MOBILE_C}"),
    "cascade": (
        HEAD +
        f"[leg_timeout=25]user/a@{D},"
        f"[leg_timeout=15,leg_delay_start=10]user/b@{D},"
        f"[leg_timeout=10,leg_delay_start=15]{MOBILE_B},"
        f"[leg_timeout=5,leg_delay_start=20]{MOBILE_C}"),
}


@pytest.mark.parametrize("strategy", sorted(GOLDEN))
def test_strategy_dial_string(strategy):
    plan = call(sales(strategy), "500")
    assert plan.reason == "department" and plan.kind == "department" and plan.target == "department:Продажи"
    ring = plan.steps[0]
    assert ring.dial == GOLDEN[strategy]
    assert ring.timeout == 25 and ring.reason == "department"
    assert path(plan)[1:] == [("voicemail", "no_answer", "500")]


# b first (start 4 modulo 3 available), then c, then a.
ROTATED = (
    HEAD +
    f"[leg_timeout=10]user/b@{D},"
    f"[leg_timeout=5,leg_delay_start=5]{MOBILE_B},"
    f"[leg_timeout=10,leg_delay_start=10]{MOBILE_C},"
    f"[leg_timeout=5,leg_delay_start=20]user/a@{D}")


def test_round_robin_starts_at_the_rotation_modulo_available_members():
    assert call(sales("round_robin"), "500", rotation=Turns(start=4)).steps[0].dial == ROTATED


def test_round_robin_counts_only_available_members():
    plan = call(sales("round_robin"), "500", rotation=Turns(start=1), presence=Devices(busy={"b"}))
    assert [leg.login for leg in plan.steps[0].legs] == ["c", "a"]


def test_longest_idle_rings_the_never_answered_then_the_longest_idle_first():
    turns = Turns(answered={"a": dt.datetime(2026, 12, 15, 9, 0, tzinfo=MSK),
                            "c": dt.datetime(2026, 12, 15, 8, 0, tzinfo=MSK)})
    assert call(sales("longest_idle"), "500", rotation=turns).steps[0].dial == ROTATED


def test_a_sequential_department_with_fewer_members_than_slots_ends_early():
    plan = call(sales("sequential", members=("a", "b")), "500")
    assert plan.steps[0].timeout == 20
    assert rung(plan) == [("a", "office", 0, 10), ("b", "office", 10, 10), ("b", "mobile", 15, 5)]


def test_a_cascade_keeps_everyone_ringing_to_the_end():
    plan = call(sales("cascade", members=("a", "b")), "500")
    assert plan.steps[0].timeout == 25
    assert rung(plan) == [("a", "office", 0, 25), ("b", "office", 10, 15), ("b", "mobile", 15, 10)]


def test_members_after_the_total_wait_are_not_rung():
    plan = call(sales("sequential", timeout=15), "500")
    assert rung(plan) == [("a", "office", 0, 10), ("b", "office", 10, 5)]


def test_a_sequential_department_looks_past_unavailable_members():
    plan = call(sales("sequential", members=("a", "b", "c")), "500", presence=Devices(busy={"a"}))
    assert [leg.login for leg in plan.steps[0].legs] == ["b", "b", "c"]


# --------------------------------------------------------------------------- who is skipped

NIGHT = at(2026, 12, 15, 22, 0)


@pytest.mark.parametrize("extra, kwargs, skipped", [
    ({"absences": [{"from": "2026-12-01"}]}, {}, True),
    ({"schedule": {"mon-fri": ["09:00-18:00"]}}, {"now": NIGHT}, True),
    ({"schedule": {"mon-fri": ["09:00-18:00"]}}, {}, False),
    ({}, {"presence": Devices(busy={"d"})}, True),
    ({}, {"presence": Devices(unregistered={"d"})}, True),
    ({}, {"overrides": Switches(dnd_on={"d"})}, True),
    ({"no_answer": {"after": 5, "voicemail": True}}, {}, False),   # personal no-answer rules don't apply here
])
def test_who_is_skipped(extra, kwargs, skipped):
    snapshot = sales(members=("a", "d"), extra_people=[employee("d", "204", **extra)])
    plan = call(snapshot, "500", **kwargs)
    assert ("d" not in {leg.login for leg in plan.steps[0].legs}) is skipped
    assert path(plan)[-1] == ("voicemail", "no_answer", "500")


def test_a_busy_member_rings_when_the_department_does_not_skip_busy():
    plan = call(sales(skip_busy=False), "500", presence=Devices(busy={"a"}))
    assert "a" in {leg.login for leg in plan.steps[0].legs}


def test_an_unregistered_member_with_a_mobile_rings_the_mobile_from_their_turn():
    plan = call(sales("sequential"), "500", presence=Devices(unregistered={"b"}))
    assert rung(plan) == [("a", "office", 0, 10), ("b", "mobile", 10, 10), ("c", "mobile", 20, 5)]


def test_forward_to_mobile_applies_inside_a_department():
    plan = call(sales(), "500", overrides=Switches(to_mobile={"b"}))
    assert ("b", "mobile", 0, 25) in rung(plan) and ("b", "office", 0, 25) not in rung(plan)


def test_members_keep_their_own_time_zone():
    far = employee("d", "204", timezone="Asia/Vladivostok", schedule={"mon-fri": ["09:00-18:00"]})
    snapshot = sales(members=("a", "d"), extra_people=[far])
    assert "d" not in {leg.login for leg in call(snapshot, "500", now=at(2026, 12, 15, 11)).steps[0].legs}
    assert "d" in {leg.login for leg in call(snapshot, "500", now=at(2026, 12, 15, 2)).steps[0].legs}


# --------------------------------------------------------------------------- nobody there

@pytest.mark.parametrize("target, expected", [
    ({}, ("voicemail", "no_one_available", "500")),
    ({"no_answer": {"voicemail": "300"}}, ("voicemail", "no_one_available", "300")),
    ({"no_answer": {"message": "closed.wav"}}, ("message", "no_one_available", "closed.wav")),
    ({"no_answer": {"hangup": True}}, ("hangup", "no_one_available", "USER_BUSY")),
])
def test_nobody_available_goes_to_the_department_target_at_once(target, expected):
    snapshot = sales(**target)
    plan = call(snapshot, "500", presence=Devices(busy={"a", "b", "c"}))
    assert plan.reason == "no_one_available"
    assert path(plan) == [expected]
    assert plan.steps[0].target == "department:Продажи"


def test_a_department_without_members():
    assert call(sales(members=()), "500").reason == "no_one_available"


def test_after_ringing_the_department_target_applies_not_the_members():
    plan = call(sales(no_answer={"employee": "a"}), "500")        # a was rung: a loop
    assert path(plan)[-1] == ("voicemail", "loop", "500")


def test_kind_of_names_what_a_dialled_number_reaches():
    """For a call that ends before it is routed, as Plan.kind would have named it."""
    snapshot = sales()
    assert [kind_of(number, snapshot) for number in ("500", "201", "c", "777")] == [
        "department", "employee", "employee", "unknown"]
    assert call(snapshot, "500").kind == "department" and call(snapshot, "777").kind == "unknown"
