"""Invariants of every plan, over generated companies, times and live states."""
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from routing import dialstring
from routing.absence import current_absence
from routing.schedule import WorkCalendar
from tests.routing.builders import Devices, Switches, Turns, call
from tests.routing.generate import LOGINS, companies

@st.composite
def situations(draw):
    """A company, a time, a live state, and the plans of a call to each of its numbers."""
    snapshot = draw(companies())
    numbers = [e.extension for e in snapshot.file.employees] + [d.extension for d in snapshot.file.departments]
    some = st.sets(st.sampled_from(LOGINS))
    now = draw(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(dt.timezone.utc)))
    last = st.dictionaries(st.sampled_from(LOGINS), st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1),
                                                                 timezones=st.just(dt.timezone.utc)))
    live = dict(presence=Devices(draw(some), draw(some)), overrides=Switches(draw(some), draw(some)),
                rotation=Turns(draw(st.integers(0, 100)), draw(last)))
    caller = draw(st.sampled_from(["+79035550000", "201"]))
    return snapshot, now, [call(snapshot, number, caller=caller, now=now, **live) for number in numbers]


def unavailable(snapshot, now):
    """Logins absent or off hours at `now`, worked out from the file."""
    company = snapshot.company
    out = set()
    for e in snapshot.file.employees:
        local = now.astimezone(ZoneInfo(e.reception.timezone or company.timezone))
        if current_absence(e.reception.absences, local.date()) is not None:
            out.add(e.login)
        elif e.reception.week is not None:
            calendar = WorkCalendar.build(e.reception.week, company.holidays, company.workdays)
            if not calendar.is_working(local):
                out.add(e.login)
    return out


CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(situations())
def test_no_plan_rings_an_absent_or_off_hours_person(situation):
    """At the moment each step is decided: a forward is taken up when the ringing before it ends."""
    snapshot, now, plans = situation
    away: dict[int, set[str]] = {}
    for plan in plans:
        waited = 0
        for step in plan.steps:
            if waited not in away:
                away[waited] = unavailable(snapshot, now + dt.timedelta(seconds=waited))
            assert not {leg.login for leg in step.legs} & away[waited]
            if step.action == "ring":
                waited += step.timeout


@CHECKS
@given(situations())
def test_a_chain_never_exceeds_max_forwards(situation):
    snapshot, now, plans = situation
    for plan in plans:
        reached = {step.target for step in plan.steps} - {plan.target}
        assert len(reached) <= snapshot.company.max_forwards


@CHECKS
@given(situations())
def test_no_leg_outlives_its_step_and_no_step_its_rule(situation):
    snapshot, now, plans = situation
    for step in (step for plan in plans for step in plan.steps):
        for leg in step.legs:
            assert 0 <= leg.delay < leg.delay + leg.timeout <= step.timeout
        if step.action == "ring" and step.target.startswith("department:"):
            assert step.timeout <= snapshot.departments[step.target.split(":", 1)[1]].timeout
        elif step.action == "ring":
            assert step.timeout == snapshot.by_login[step.target.split(":", 1)[1]].reception.no_answer.after


@CHECKS
@given(situations())
def test_never_the_same_person_twice(situation):
    snapshot, now, plans = situation
    for plan in plans:
        seen: set[str] = set()
        for step in plan.steps:
            devices = [(leg.login, leg.device) for leg in step.legs]
            assert len(devices) == len(set(devices))
            people = {login for login, _ in devices}
            assert not people & seen
            seen |= people


@CHECKS
@given(situations())
def test_every_plan_ends_the_call_and_every_bridge_matches_its_legs(situation):
    snapshot, now, plans = situation
    for plan in plans:
        assert plan.steps and plan.steps[-1].action in ("voicemail", "message", "hangup")
    for step in (step for plan in plans for step in plan.steps):
        if step.action == "ring":
            assert step.legs
            mobile = any(leg.device == "mobile" for leg in step.legs)
            confirm = snapshot.company.mobile_confirm_seconds if any(leg.confirm for leg in step.legs) else 0
            head = dialstring.bridge([], step.timeout, mobile, confirm=confirm)[:-1]   # "{originate_timeout=…" w/o "}"
            assert step.dial.startswith(head)
            assert step.dial.endswith("}" + ",".join(leg.dial for leg in step.legs))
