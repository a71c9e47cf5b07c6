"""The speed layer (routing.fast) gives the plain rules' answers.

The daemon routes through routing.fast (masks, leg templates, caches); everything
else, and every example test, through routing.walk and the rule modules.  Over
random companies, times, callers and live states, each decision must be the same:
the plan a call gets, with where it stops (`Plan.then`), and the plan `resume`
gives when the call gets there, on an index that has served other calls before and
with live masks told of every change, as the daemon's are.
"""
import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from config.models import Absence
from routing import plan, resume, walk
from routing.absence import current_absence
from routing.devices import devices_to_ring
from routing.fast.entries import absence_on, absence_spans
from routing.fast.index import index_for
from routing.fast.live import LiveMasks
from routing.fast.turns import turn_devices, turn_for
from routing.types import Call
from tests.routing.builders import Devices, Switches, company, employee
from tests.routing.generate import calls, companies

CHECKS = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def decisions(snapshot, to, caller, now, presence, rotation, overrides, live=None):
    """Every decision of a call nobody answers: its plan, then each resume, as the daemon takes them."""
    out = [plan(Call(destination=to, caller=caller), snapshot, now, presence, rotation, overrides, live)]
    while out[-1].then is not None and len(out) < 10:
        waited = sum(step.timeout for decision in out for step in decision.steps if step.action == "ring")
        out.append(resume(out[-1].then, snapshot, now + dt.timedelta(seconds=waited), presence, rotation,
                          overrides, live))
    return out


@CHECKS
@given(companies(), st.data())
def test_the_speed_layer_decides_as_the_plain_rules(snapshot, data):
    presence, overrides = Devices(set(), set()), Switches(set(), set())
    live = LiveMasks(presence, overrides)
    live.prepare(index_for(snapshot))
    views = [presence.unregistered, presence.busy, overrides.dnd_on, overrides.to_mobile]
    for _ in range(6):
        c = data.draw(calls(snapshot))
        for view, drawn in zip(views, (c["presence"].unregistered, c["presence"].busy, c["overrides"].dnd_on,
                                       c["overrides"].to_mobile)):
            for login in view ^ drawn:
                view.symmetric_difference_update({login})
                live.notice(login)                          # as the daemon's views tell it
        args = (snapshot, c["to"], c["caller"], c["now"], presence, c["rotation"], overrides)
        assert decisions(*args, live) == decisions(*args)


@CHECKS
@given(companies(), st.data())
def test_a_plain_continuation_is_resumed_alike_by_both(snapshot, data):
    """`Plan.then` is plain values: whichever engine made it, either takes it up."""
    c = data.draw(calls(snapshot))
    first = plan(Call(destination=c["to"], caller=c["caller"]), snapshot, c["now"], c["presence"], c["rotation"],
                 c["overrides"])
    if first.then is not None:
        live = LiveMasks(c["presence"], c["overrides"])
        later = c["now"] + dt.timedelta(seconds=data.draw(st.integers(0, 300)))
        assert resume(first.then, snapshot, later, c["presence"], c["rotation"], c["overrides"], live) == \
            resume(first.then, snapshot, later, c["presence"], c["rotation"], c["overrides"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["office", "mobile", "all"]), st.integers(0, 60), st.booleans(), st.booleans(),
       st.booleans())
def test_turns_ring_the_devices_the_rule_names(setting, delay, has_mobile, registered, forwarded):
    """routing.fast.turns: one small int per person and call, the devices of routing.devices."""
    snapshot = company([employee("e0", "201", mobile="+79160000000" if has_mobile else None, devices=setting,
                                 mobile_delay=delay)])
    person = index_for(snapshot).people["e0"]
    presence = Devices(unregistered=set() if registered else {"e0"})
    overrides = Switches(to_mobile={"e0"} if forwarded else set())
    variant = turn_for(person, presence, overrides)
    expected = devices_to_ring(setting, delay, has_mobile, registered, forwarded)
    assert (turn_devices(person, variant) if variant is not None else ()) == expected


DIALLED = ["201", " 202 ", "e0", "e5", "500", "501", "84951230000", "+7 (495) 123-00-00", "74951230001",
           "4951230001", "0074951230001", "999", "", "E0", "+74951230002"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(companies(), st.sampled_from(DIALLED), st.sampled_from(["201", "e1", "+79035550000", "500", ""]))
def test_a_dialled_number_and_a_caller_are_recognised_alike(snapshot, dialled, caller):
    index = index_for(snapshot)
    entity, did = walk.resolve(snapshot, dialled)
    found = index.resolve(dialled)
    fast = (found.entity.ref, found.did) if found is not None else None
    plain = (walk.ref_of(entity), did) if entity is not None else None
    assert fast == plain
    assert index.is_employee(caller) == walk.is_employee(snapshot, caller)


DAYS = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))


@st.composite
def absences(draw):
    start = draw(DAYS)
    end = draw(st.one_of(st.none(), st.integers(0, 30).map(lambda n: start + dt.timedelta(days=n))))
    return Absence.model_validate({"from": start, "to": end})


@given(st.lists(absences(), max_size=4), DAYS)
def test_absences_as_day_numbers_find_the_same_absence(listed, day):
    assert absence_on(absence_spans(listed), day.toordinal()) is current_absence(listed, day)

