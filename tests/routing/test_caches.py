"""What routing keeps between calls never changes a plan.

A snapshot's routing index keeps UTC offsets per hour, clocks' worked minutes per
hour, people's legs per turn and departments' bridges per availability pattern.  A
plan from an index that has served many calls (at other times, with other live
states and callers) must equal the plan from a fresh index, across midnight, DST
changes and reloads.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from config.snapshot import Snapshot
from routing.fast.clock import Clock, WorkingHours
from routing.fast.index import INDEXES, index_for
from routing.fast.legs import BRIDGES_PER_DEPARTMENT, LegCache
from routing.fast.localtime import ZoneOffsets, utc_seconds
from routing.schedule import WorkCalendar
from tests.routing.builders import (BERLIN, TUESDAY_10, Devices, Switches, Turns, at, call, company, department,
                                    employee, path, rung)
from tests.routing.generate import AUTUMN, NEWFOUNDLAND, SPRING, UTC, calls, companies, instants

ST_JOHNS = ZoneInfo("America/St_Johns")


def fresh(snapshot: Snapshot) -> Snapshot:
    """The same file as a new snapshot, with a routing index built from nothing
    (not from the latest index, as a reload's is)."""
    new = Snapshot.build(snapshot.file)
    INDEXES.forget_latest()
    index_for(new)
    return new


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(companies(), st.data())
def test_a_warm_index_plans_like_a_fresh_one(snapshot, data):
    for _ in range(25):
        c = data.draw(calls(snapshot))
        assert call(snapshot, **c) == call(fresh(snapshot), **c)


# --------------------------------------------------------------------------- time

ZONES = ["Europe/Berlin", "Europe/Moscow", "Australia/Lord_Howe", "Australia/Adelaide", "Asia/Kolkata",
         "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"]
WEEKS = [
    [((540, 1080),)] * 5 + [(), ()],                                   # 09:00-18:00 on weekdays
    [((1320, 1800),)] * 7,                                             # 22:00-06:00 every night
    [((0, 90), (120, 150), (1410, 1440))] * 6 + [((30, 1440),)],       # around midnight, 24:00 ends
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(WEEKS), instants(), st.integers(1, 500))
def test_kept_hours_agree_with_zoneinfo(zone_name, week, start, step):
    """Many instants an odd number of seconds apart, through one table per hour, as calls would."""
    zone = ZoneInfo(zone_name)
    calendar = WorkCalendar.build(week, holidays=[dt.date(2026, 3, 29), dt.date(2026, 12, 15)])
    offsets, hours = ZoneOffsets(), WorkingHours()
    clock = Clock(zone, calendar, offsets)
    for i in range(60):
        now = start + dt.timedelta(seconds=i * step * 7)
        seconds = utc_seconds(now)
        local = now.astimezone(zone)
        assert offsets.local(zone, seconds) == (local.toordinal(), local.hour * 60 + local.minute)
        table = hours.of(seconds // 3600)
        assert WorkingHours.works(table, clock, seconds) is calendar.is_working(local), local


def test_an_hour_with_a_dst_change_is_worked_out_minute_by_minute():
    """St John's, Sunday 8 March 2026, 05:00-06:00 UTC: 01:30-01:59 at -03:30, then 03:00-03:29 at -02:30."""
    calendar = WorkCalendar.build([()] * 6 + [((100, 110), (180, 185))])    # Sunday 01:40-01:50, 03:00-03:05
    clock = Clock(ST_JOHNS, calendar, ZoneOffsets())
    hour = utc_seconds(NEWFOUNDLAND) // 3600
    table = WorkingHours().of(hour)
    worked = [m for m in range(60) if WorkingHours.works(table, clock, hour * 3600 + 60 * m + 59)]
    assert worked == [*range(10, 20), *range(30, 35)]


def test_offsets_are_not_kept_for_an_hour_with_a_change():
    offsets = ZoneOffsets()
    hour = utc_seconds(NEWFOUNDLAND) // 3600
    assert offsets.hour_offset(ST_JOHNS, hour - 1) == -12600
    assert offsets.hour_offset(ST_JOHNS, hour) is None
    assert offsets.hour_offset(ST_JOHNS, hour + 1) == -9000
    assert offsets.offset(ST_JOHNS, utc_seconds(NEWFOUNDLAND) - 1) == -12600
    assert offsets.offset(ST_JOHNS, utc_seconds(NEWFOUNDLAND)) == -9000


def test_the_kept_hours_and_offsets_are_bounded():
    offsets, hours = ZoneOffsets(limit=8), WorkingHours(limit=8)
    for hour in range(100):
        offsets.hour_offset(BERLIN, 490_000 + hour)
        hours.of(490_000 + hour)
    assert len(offsets._by_hour) <= 8 and len(hours._hours) <= 8


# --------------------------------------------------------------------------- plans over time, one index

def test_one_index_across_midnight_and_a_night_shift_on_a_holiday_eve():
    """22:00-06:00 every night, in Moscow; 31 December is a holiday, so its own night is off."""
    snapshot = company([employee("ivan", "201", schedule={"mon-sun": ["22:00-06:00"]}, off_hours={"hangup": True})],
                       holidays=["2026-12-31"])
    expected = [
        (at(2026, 12, 30, 21, 59, 59), "off_hours"),
        (at(2026, 12, 30, 22, 0), "working"),
        (at(2026, 12, 31, 5, 59, 59), "working"),     # Wednesday's night, on into the holiday
        (at(2026, 12, 31, 6, 0), "off_hours"),
        (at(2026, 12, 31, 22, 0), "off_hours"),       # the holiday's own night ...
        (at(2027, 1, 1, 2, 0), "off_hours"),          # ... past midnight too
        (at(2027, 1, 1, 22, 0), "working"),
        (at(2026, 12, 30, 23, 0), "working"),         # back to an hour seen before
    ]
    assert [call(snapshot, "201", now=now).reason for now, _ in expected] == [reason for _, reason in expected]


def test_one_index_across_midnight_inside_one_utc_hour():
    """Kolkata is UTC+05:30: its midnight falls at 18:30 UTC, in the middle of a UTC hour."""
    snapshot = company([employee("olga", "201", timezone="Asia/Kolkata", schedule={"mon-fri": ["09:00-24:00"]})])
    monday_night = dt.datetime(2026, 12, 14, 18, 29, 59, tzinfo=UTC)          # Monday 23:59:59 in Kolkata
    assert call(snapshot, "201", now=monday_night).reason == "working"
    assert call(snapshot, "201", now=monday_night + dt.timedelta(seconds=1)).reason == "off_hours"
    assert call(snapshot, "201", now=monday_night - dt.timedelta(minutes=29)).reason == "working"
    assert call(snapshot, "201", now=monday_night + dt.timedelta(minutes=29)).reason == "off_hours"


def test_one_index_across_both_berlin_dst_changes():
    snapshot = company([employee("hans", "201", timezone="Europe/Berlin", off_hours={"hangup": True},
                                 schedule={"sun": ["01:30-01:45", "02:15-02:20", "03:00-03:10"],
                                           "mon": ["08:00-09:00"]})])
    minute, hour = dt.timedelta(minutes=1), dt.timedelta(hours=1)
    expected = [
        (SPRING - 31 * minute, "off_hours"),          # 01:29 CET
        (SPRING - 30 * minute, "working"),            # 01:30 CET
        (SPRING - dt.timedelta(seconds=1), "off_hours"),   # 01:59:59 CET: 02:15 never comes
        (SPRING, "working"),                          # 03:00 CEST
        (SPRING + 10 * minute, "off_hours"),
        (SPRING + 29 * hour, "working"),              # Monday 08:00 CEST (a CET clock would say 07:00)
        (SPRING + 30 * hour, "off_hours"),            # 09:00 CEST
        (AUTUMN - 90 * minute, "working"),            # 01:30 CEST
        (AUTUMN - 45 * minute, "working"),            # 02:15 CEST, the first time
        (AUTUMN - 40 * minute, "off_hours"),
        (AUTUMN, "off_hours"),                        # 02:00 CET
        (AUTUMN + 15 * minute, "working"),            # 02:15 CET, the second time
        (AUTUMN + 60 * minute, "working"),            # 03:00 CET
        (AUTUMN + 70 * minute, "off_hours"),
    ]
    assert [call(snapshot, "201", now=now).reason for now, _ in expected] == [reason for _, reason in expected]


# --------------------------------------------------------------------------- legs and bridges kept

def sales(**people_settings):
    people = [employee("a", "201"), employee("b", "202", mobile="+79161110002", devices="all", mobile_delay=5,
                                              **people_settings)]
    return company(people, [department("Продажи", "500", ["a", "b"])], caller_id="+74950000000", diversion=True,
                   numbers={"+74951230000": {"department": "Продажи"}, "+74951230001": {"department": "Продажи"}})


def test_a_kept_bridge_follows_who_is_available_now():
    snapshot = sales()
    both = rung(call(snapshot, "500"))
    assert rung(call(snapshot, "500", presence=Devices(unregistered={"b"}))) == [
        ("a", "office", 0, 60), ("b", "mobile", 0, 60)]
    assert rung(call(snapshot, "500", overrides=Switches(to_mobile={"b"}))) == [
        ("a", "office", 0, 60), ("b", "mobile", 0, 60)]
    assert rung(call(snapshot, "500", presence=Devices(busy={"a"}))) == [("b", "office", 0, 60), ("b", "mobile", 5, 55)]
    assert rung(call(snapshot, "500")) == both == [("a", "office", 0, 60), ("b", "office", 0, 60),
                                                   ("b", "mobile", 5, 55)]


def test_kept_legs_carry_each_calls_own_caller_id_and_diversion():
    snapshot = sales()
    outside = call(snapshot, "84951230000", caller="+79035550000").steps[0]
    inside = call(snapshot, "+74951230001", caller="201").steps[0]
    assert "origination_caller_id_number=+79035550000" in outside.dial.split("}")[0]
    assert "sip_h_Diversion=<tel:+74951230000>" in outside.legs[-1].dial
    assert "origination_caller_id_number=+74950000000" in inside.legs[-1].dial
    assert "sip_h_Diversion=<tel:+74951230001>" in inside.legs[-1].dial
    assert call(snapshot, "84951230000", caller="+79035550000").steps[0] == outside


def test_a_reload_is_not_served_what_the_old_snapshot_kept():
    old = sales()
    call(old, "500", presence=Devices(unregistered={"b"}))
    new = company([employee("a", "201", devices="mobile", mobile="+79161110001"), employee("b", "202")],
                  [department("Продажи", "500", ["b", "a"], strategy="sequential", member_timeout=10)])
    assert rung(call(new, "500", presence=Devices(unregistered={"b"}))) == [("a", "mobile", 0, 10)]
    assert rung(call(new, "500")) == [("b", "office", 0, 10), ("a", "mobile", 10, 10)]
    assert rung(call(old, "500")) == [("a", "office", 0, 60), ("b", "office", 0, 60), ("b", "mobile", 5, 55)]


def test_a_reload_reuses_what_an_edit_left_unchanged():
    people = [employee("a", "201"), employee("b", "202"), employee("c", "203")]
    departments = [department("Продажи", "500", ["a", "b"]), department("Склад", "501", ["c"])]
    old = company(people, departments)
    before = index_for(old)
    call(old, "500", presence=Devices(busy={"a"}))
    people[2] = employee("c", "203", no_answer={"after": 10, "employee": "a"})
    new = company(people, departments)
    after = index_for(new)
    assert after.people["a"] is before.people["a"] and after.people["b"] is before.people["b"]
    assert after.people["c"] is not before.people["c"]
    assert after.groups["Продажи"] is before.groups["Продажи"]
    assert after.groups["Склад"] is not before.groups["Склад"]
    assert path(call(new, "203")) == [("ring", "direct", "employee:c"), ("ring", "no_answer", "employee:a"),
                                      ("hangup", "no_answer", "USER_BUSY")]
    assert call(new, "500", presence=Devices(busy={"a"})) == call(fresh(new), "500", presence=Devices(busy={"a"}))


def test_a_reload_that_changes_the_company_calendar_rebuilds_everyone():
    people = [employee("a", "201", schedule={"mon-fri": ["09:00-18:00"]})]
    old = company(people, holidays=["2026-12-15"])
    assert call(old, "201", now=TUESDAY_10).reason == "off_hours"
    new = company(people)
    assert index_for(new).people["a"] is not index_for(old).people["a"]
    assert call(new, "201", now=TUESDAY_10).reason == "working"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(companies(), companies(), st.data())
def test_an_index_built_from_the_last_one_plans_like_a_fresh_one(old, new, data):
    """Any edit, from another company altogether to one that keeps most of it."""
    for _ in range(5):
        call(old, **data.draw(calls(old)))
    if data.draw(st.booleans()):
        new = Snapshot.build(old.file.model_copy(update={"departments": new.file.departments[:1]}))
    index_for(new)
    for _ in range(10):
        c = data.draw(calls(new))
        assert call(new, **c) == call(fresh(new), **c)


def test_kept_bridges_and_legs_are_bounded():
    members = [employee(f"m{i}", str(201 + i)) for i in range(8)]
    snapshot = company(members, [department("D", "500", [f"m{i}" for i in range(8)], strategy="round_robin")])
    for start in range(40):
        for away in range(8):
            plan = call(snapshot, "500", rotation=Turns(start), presence=Devices(busy={f"m{away}"}))
            assert f"m{away}" not in {leg.login for leg in plan.steps[0].legs}
    index = index_for(snapshot)
    assert 0 < len(index.legs._bridges[index.groups["D"]]) <= BRIDGES_PER_DEPARTMENT
    cache = LegCache(limit=16)
    person = index_for(snapshot).people["m0"]
    for end in range(1, 100):
        cache.fragment(person, 0, 0, end, "")
    assert len(cache._fragments) <= 16
    assert path(call(snapshot, "201"))[0] == ("ring", "direct", "employee:m0")
