"""Hypothesis strategies shared by the property tests: small companies exercising every rule."""
import datetime as dt

from hypothesis import strategies as st

from config.snapshot import Snapshot
from tests.routing.builders import Devices, Switches, Turns, company

LOGINS = [f"e{i}" for i in range(6)]
DEPARTMENTS = ["d0", "d1"]
# DST (Berlin; Lord Howe moves by 30 minutes; St John's changes in the middle of a UTC hour),
# offsets of half and quarter hours.
ZONES = [None, "Europe/Berlin", "Asia/Vladivostok", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
         "America/St_Johns"]
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
    numbers = {"+74951230000": {"employee": LOGINS[0]}}
    if departments:
        numbers["+74951230001"] = {"department": DEPARTMENTS[0]}
    return company(employees, groups, max_forwards=draw(st.integers(0, 4)), holidays=HOLIDAYS,
                   workdays=["2026-12-26"], numbers=numbers, diversion=draw(st.booleans()),
                   caller_id=draw(st.sampled_from([None, "+74950000000"])),
                   mobile_caller_id=draw(st.sampled_from(["caller", "company"])),
                   mobile_confirm_file=draw(st.sampled_from([None, "sounds/press-one.wav"])),
                   mobile_confirm_seconds=draw(st.sampled_from([12, 5, 30])))


UTC = dt.timezone.utc
SPRING = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)          # Berlin 02:00 CET -> 03:00 CEST
AUTUMN = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)         # Berlin 03:00 CEST -> 02:00 CET
# DST changes in the middle of a UTC hour (the zone's offset has half an hour):
NEWFOUNDLAND = dt.datetime(2026, 3, 8, 5, 30, tzinfo=UTC)    # St John's 02:00 -03:30 -> 03:00 -02:30
CHANGES = [SPRING, AUTUMN, NEWFOUNDLAND,
           dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC),      # St John's 02:00 -02:30 -> 01:00 -03:30
           dt.datetime(2026, 4, 4, 16, 30, tzinfo=UTC),      # Adelaide 03:00 +10:30 -> 02:00 +09:30
           dt.datetime(2026, 10, 3, 15, 30, tzinfo=UTC),     # Lord Howe 02:00 +10:30 -> 02:30 +11
           dt.datetime(2026, 4, 4, 15, 0, tzinfo=UTC)]       # Lord Howe 02:00 +11 -> 01:30 +10:30


def instants():
    """Anywhere in 2026, or within a few hours of a DST change or of midnight in the zones used."""
    around = st.sampled_from(CHANGES + [dt.datetime(2026, 12, 14, 21, 0, tzinfo=UTC),
                                        dt.datetime(2026, 12, 15, 18, 30, tzinfo=UTC)])
    return st.one_of(
        st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC)),
        st.builds(lambda t, s: t + dt.timedelta(seconds=s), around, st.integers(-3 * 3600, 3 * 3600)))


@st.composite
def calls(draw, snapshot: Snapshot):
    """One call to the company: any of its numbers, any time, any live state, an inside or outside caller."""
    numbers = [e.extension for e in snapshot.file.employees] + [d.extension for d in snapshot.file.departments]
    numbers += ["84951230000", "+74951230001"]
    some = st.sets(st.sampled_from(LOGINS))
    last = st.dictionaries(st.sampled_from(LOGINS), st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1),
                                                                 timezones=st.sampled_from([UTC, None])))
    return dict(to=draw(st.sampled_from(numbers)), caller=draw(st.sampled_from(["+79035550000", "201", "x"])),
                now=draw(instants()), presence=Devices(draw(some), draw(some)),
                overrides=Switches(draw(some), draw(some)), rotation=Turns(draw(st.integers(0, 100)), draw(last)))
