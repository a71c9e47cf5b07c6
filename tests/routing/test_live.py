"""Departments' masks kept between calls (routing.fast.live) plan exactly as asking the views.

The daemon's views tell LiveMasks of every change; a plan made with the kept masks
must then equal the plan made by asking the views member by member.
"""
import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from routing import expand, plan
from routing.fast.index import index_for
from routing.fast.live import LiveMasks
from routing.types import Call
from tests.routing.builders import TUESDAY_10, Devices, Switches, Turns, company, department, employee, rung
from tests.routing.generate import LOGINS, companies


def whole(snapshot, to, now, presence, overrides, live=None):
    rotation = Turns(3)
    first = plan(Call(destination=to, caller="+79035550000"), snapshot, now, presence, rotation, overrides, live)
    return expand(first, snapshot, now, presence, rotation, overrides, live)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(companies(), st.data())
def test_kept_masks_plan_like_the_views_through_any_changes(snapshot, data):
    presence, overrides = Devices(set(), set()), Switches(set(), set())
    live = LiveMasks(presence, overrides)
    if data.draw(st.booleans()):
        live.prepare(index_for(snapshot))
    views = [presence.unregistered, presence.busy, overrides.dnd_on, overrides.to_mobile]
    numbers = [d.extension for d in snapshot.file.departments] + [e.extension for e in snapshot.file.employees]
    now = data.draw(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31),
                                 timezones=st.just(dt.timezone.utc)))
    for _ in range(8):
        changed = data.draw(st.sampled_from(LOGINS))
        view = data.draw(st.sampled_from(views))
        view.symmetric_difference_update({changed})
        live.notice(changed if data.draw(st.integers(0, 9)) else None)      # now and then: anybody's
        to = data.draw(st.sampled_from(numbers))
        assert whole(snapshot, to, now, presence, overrides, live) == whole(snapshot, to, now, presence, overrides)


def test_a_change_the_masks_are_told_of_is_in_the_next_call():
    snapshot = company([employee("a", "201"), employee("b", "202")], [department("Продажи", "500", ["a", "b"])])
    presence, overrides = Devices(), Switches()
    live = LiveMasks(presence, overrides)
    before = whole(snapshot, "500", TUESDAY_10, presence, overrides, live)
    presence.busy.add("a")
    overrides.dnd_on.add("b")
    live.notice("a")                                         # b's DND not told yet: still rung
    assert [who for who, *_ in rung(whole(snapshot, "500", TUESDAY_10, presence, overrides, live))] == ["b"]
    live.notice("b")
    assert whole(snapshot, "500", TUESDAY_10, presence, overrides, live).reason == "no_one_available"
    presence.busy.clear()
    overrides.dnd_on.clear()
    live.notice(None)
    assert whole(snapshot, "500", TUESDAY_10, presence, overrides, live) == before


def test_after_a_reload_the_masks_serve_the_new_departments():
    people = [employee("a", "201"), employee("b", "202")]
    old = company(people, [department("Продажи", "500", ["a", "b"])])
    presence, overrides = Devices(busy={"a"}), Switches()
    live = LiveMasks(presence, overrides)
    live.prepare(index_for(old))
    new = company(people, [department("Продажи", "500", ["b", "a"], strategy="sequential")])
    live.prepare(index_for(new))
    assert rung(whole(new, "500", TUESDAY_10, presence, overrides, live)) == [("b", "office", 0, 15)]


def test_a_reload_keeps_the_masks_of_the_departments_it_left_unchanged():
    people = [employee("a", "201"), employee("b", "202"), employee("c", "203")]
    old = company(people, [department("Продажи", "500", ["a", "b"]), department("Склад", "501", ["c"])])
    presence, overrides = Devices(), Switches()
    live = LiveMasks(presence, overrides)
    live.prepare(index_for(old))
    kept = live.of(index_for(old).groups["Продажи"])
    new = company(people, [department("Продажи", "500", ["a", "b"]), department("Склад", "501", ["c", "a"])])
    live.prepare(index_for(new))
    assert live.of(index_for(new).groups["Продажи"]) is kept
    presence.busy.add("a")
    live.notice("a")                                          # told once, in both departments it is in now
    assert live.of(index_for(new).groups["Склад"])[1] == 0b10 and kept[1] == 0b01
