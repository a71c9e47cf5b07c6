"""Invariants of every plan, over generated companies, times and live states."""
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from routing import dialstring
from routing.absence import current_absence
from routing.schedule import WorkCalendar
from tests.routing.builders import Devices, Switches, Turns, call, company

LOGINS = [f"e{i}" for i in range(6)]
DEPARTMENTS = ["d0", "d1"]
ZONES = [None, "Europe/Berlin", "Asia/Vladivostok"]
SCHEDULES = [None, {"mon-fri": ["09:00-18:00"]}, {"mon-fri": ["09:00-13:00", "14:00-18:00"]},
             {"mon-thu": ["22:00-06:00"], "sat-sun": ["10:00-24:00"]}]
HOLIDAYS = ["2026-01-01", "2026-03-09", "2026-05-01", "2026-12-31"]


def targets(people: int, departments: int):
    return st.one_of(
        st.just({}), st.just({"voicemail": True}), st.just({"message": "m.wav"}), st.just({"hangup": True}),
        st.sampled_from(LOGINS[:people]).map(lambda login: {"employee": login}),
        *([st.sampled_from(DEPARTMENTS[:departments]).map(lambda name: {"department": name})] if departments else []))


@st.composite
def companies(draw):
    people = draw(st.integers(2, 6))
    departments = draw(st.integers(0, 2))
    day = st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    employees = []
    for i in range(people):
        absences = []
        if draw(st.booleans()):
            start = draw(day)
            end = draw(st.one_of(st.none(), st.integers(0, 20).map(lambda n: start + dt.timedelta(days=n))))
            absences.append({"from": start.isoformat(), "to": end.isoformat() if end else None,
                             "forward": draw(targets(people, departments)) or {"voicemail": True}})
        reception = {"devices": draw(st.sampled_from(["office", "mobile", "all"])),
                     "mobile_delay": draw(st.integers(0, 40)),
                     "mobile_confirm": draw(st.booleans()),
                     "no_answer": {"after": draw(st.integers(0, 90)), **draw(targets(people, departments))},
                     "off_hours": draw(targets(people, departments)) or {"voicemail": True},
                     "absences": absences}
        schedule, zone = draw(st.sampled_from(SCHEDULES)), draw(st.sampled_from(ZONES))
        if schedule:
            reception["schedule"] = schedule
        if zone:
            reception["timezone"] = zone
        person = {"name": f"E {i}", "login": LOGINS[i], "extension": str(201 + i), "reception": reception}
        if draw(st.booleans()):
            person["mobile"] = f"+7916{i:07d}"
        employees.append(person)
    groups = [{"name": DEPARTMENTS[d], "extension": str(500 + d),
               "members": draw(st.lists(st.sampled_from(LOGINS[:people]), unique=True, max_size=people)),
               "strategy": draw(st.sampled_from(["simultaneous", "sequential", "cascade", "round_robin",
                                                 "longest_idle"])),
               "member_timeout": draw(st.integers(1, 40)), "timeout": draw(st.integers(1, 120)),
               "skip_busy": draw(st.booleans()), "no_answer": draw(targets(people, departments)) or {"voicemail": True}}
              for d in range(departments)]
    return company(employees, groups, max_forwards=draw(st.integers(0, 4)), holidays=HOLIDAYS,
                   workdays=["2026-12-26"])


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
    snapshot, now, plans = situation
    away = unavailable(snapshot, now)
    for plan in plans:
        assert not {leg.login for step in plan.steps for leg in step.legs} & away


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
            head = dialstring.bridge([], step.timeout, mobile)[:-1]       # "{originate_timeout=…" without "}"
            assert step.dial.startswith(head)
            assert step.dial.endswith("}" + ",".join(leg.dial for leg in step.legs))
