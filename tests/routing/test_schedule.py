"""«График работы», as the help page puts it (routing.schedule).

Per weekday one or more HH:MM-HH:MM intervals (a lunch break is two), in the
employee's time zone; a night shift runs past midnight and belongs to the day it
starts; company holidays are off, extra working days work the first weekday's
hours; no schedule means always working.  Boundaries to the second, and DST.
"""
import datetime as dt

import pytest

from config.models import Interval
from routing.schedule import WorkCalendar, is_working, working_now
from tests.routing.builders import BERLIN, MSK


def week(**days):
    """week(mon=["09:00-18:00"], ...) -> seven tuples of Interval."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return [tuple(Interval.parse(text) for text in days.get(name, ())) for name in names]


OFFICE = week(**{d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
NIGHTS = week(mon=["22:00-06:00"], fri=["20:00-24:00"])

# December 2026: Monday 14th ... Sunday 20th; Thursday 31st, Friday 1 January 2027.
MON, TUE, SAT, SUN = dt.date(2026, 12, 14), dt.date(2026, 12, 15), dt.date(2026, 12, 19), dt.date(2026, 12, 20)


def local(day: dt.date, hh: int, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss)


@pytest.mark.parametrize("when, working", [
    (local(TUE, 8, 59, 59), False),
    (local(TUE, 9, 0), True),
    (local(TUE, 12, 59, 59), True),
    (local(TUE, 13, 0), False),          # lunch break
    (local(TUE, 13, 59, 59), False),
    (local(TUE, 14, 0), True),
    (local(TUE, 17, 59, 59), True),      # no rounding: the last second of the day's work
    (local(TUE, 18, 0), False),
    (local(SAT, 10, 0), False),
    (local(SUN, 10, 0), False),
])
def test_office_hours_to_the_second(when, working):
    assert WorkCalendar.build(OFFICE).is_working(when) is working


@pytest.mark.parametrize("when, working", [
    (local(MON, 21, 59), False),
    (local(MON, 22, 0), True),
    (local(MON, 23, 59), True),
    (local(TUE, 0, 0), True),            # Monday's night shift, now on Tuesday
    (local(TUE, 2, 0), True),
    (local(TUE, 5, 59, 59), True),
    (local(TUE, 6, 0), False),
    (local(TUE, 22, 0), False),          # Tuesday has no shift of its own
    (local(MON, 2, 0), False),           # Sunday had no shift to carry over
    (local(dt.date(2026, 12, 18), 23, 59, 59), True),   # Friday 20:00-24:00
    (local(SAT, 0, 0), False),           # ... ends exactly at midnight
])
def test_intervals_crossing_midnight_belong_to_the_day_they_start(when, working):
    assert WorkCalendar.build(NIGHTS).is_working(when) is working


def test_a_holiday_has_no_working_hours():
    calendar = WorkCalendar.build(OFFICE, holidays=[TUE])
    assert not calendar.is_working(local(TUE, 10, 0))
    assert calendar.is_working(local(dt.date(2026, 12, 16), 10, 0))


def test_a_night_shift_starting_on_a_holiday_does_not_run_past_midnight():
    calendar = WorkCalendar.build(NIGHTS, holidays=[MON])
    assert not calendar.is_working(local(MON, 23, 0))
    assert not calendar.is_working(local(TUE, 2, 0))


def test_a_night_shift_on_a_holiday_eve_runs_into_the_holiday():
    """The shift belongs to the day it starts: Monday is a working day, Tuesday a holiday."""
    calendar = WorkCalendar.build(NIGHTS, holidays=[TUE])
    assert calendar.is_working(local(TUE, 2, 0))
    assert not calendar.is_working(local(TUE, 6, 0))


def test_a_transferred_saturday_works_the_first_weekday_schedule():
    calendar = WorkCalendar.build(week(mon=["10:00-16:00"], tue=["09:00-18:00"]), workdays=[SAT])
    assert calendar.is_working(local(SAT, 10, 0))
    assert not calendar.is_working(local(SAT, 9, 30))      # Monday's hours, not Tuesday's
    assert not calendar.is_working(local(SAT, 16, 0))
    assert not calendar.is_working(local(dt.date(2026, 12, 26), 10, 0))   # the next Saturday is off


def test_a_transferred_day_skips_weekdays_without_hours():
    calendar = WorkCalendar.build(week(wed=["12:00-13:00"]), workdays=[SAT])
    assert calendar.is_working(local(SAT, 12, 30))


def test_a_transferred_day_stays_off_without_any_weekday_hours():
    """A weekend-only schedule has no "normal working day" to work on a transferred day."""
    calendar = WorkCalendar.build(week(sat=["10:00-12:00"]), workdays=[SUN])
    assert not calendar.is_working(local(SUN, 11, 0))
    assert calendar.is_working(local(SAT, 11, 0))


def test_no_schedule_means_always_working():
    assert is_working(None, local(SUN, 3, 0))


def test_a_week_must_have_seven_days():
    with pytest.raises(ValueError):
        WorkCalendar.build([()] * 6)


# --------------------------------------------------------------------------- DST, Europe/Berlin

def berlin(utc: dt.datetime) -> dt.datetime:
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(BERLIN)


SPRING = dt.date(2026, 3, 29)        # 02:00 CET -> 03:00 CEST
AUTUMN = dt.date(2026, 10, 25)       # 03:00 CEST -> 02:00 CET


@pytest.mark.parametrize("utc, working", [
    (dt.datetime(2026, 3, 29, 0, 59), False),   # 01:59 CET
    (dt.datetime(2026, 3, 29, 1, 0), True),     # 03:00 CEST: 02:00-02:59 never happened
    (dt.datetime(2026, 3, 29, 1, 29), True),    # 03:29 CEST
    (dt.datetime(2026, 3, 29, 1, 30), False),   # 03:30 CEST
])
def test_spring_forward_skips_a_wall_clock_hour(utc, working):
    calendar = WorkCalendar.build(week(sun=["02:30-03:30"]))
    assert calendar.is_working(berlin(utc)) is working


@pytest.mark.parametrize("utc, working", [
    (dt.datetime(2026, 3, 30, 7, 59), False),   # 09:59 CEST on Monday ... with "10:00-18:00"
    (dt.datetime(2026, 3, 30, 8, 0), True),     # a fixed +01:00 would still say 09:00
    (dt.datetime(2026, 3, 30, 15, 59), True),
    (dt.datetime(2026, 3, 30, 16, 0), False),
])
def test_the_day_after_spring_forward_uses_summer_time(utc, working):
    calendar = WorkCalendar.build(week(mon=["10:00-18:00"]))
    assert calendar.is_working(berlin(utc)) is working


@pytest.mark.parametrize("utc, working", [
    (dt.datetime(2026, 10, 25, 0, 15), True),   # 02:15 CEST, the first time
    (dt.datetime(2026, 10, 25, 0, 45), False),  # 02:45 CEST
    (dt.datetime(2026, 10, 25, 1, 15), True),   # 02:15 CET, the second time
    (dt.datetime(2026, 10, 25, 1, 45), False),  # 02:45 CET
])
def test_fall_back_repeats_a_wall_clock_hour(utc, working):
    calendar = WorkCalendar.build(week(sun=["02:00-02:30"]))
    assert calendar.is_working(berlin(utc)) is working


@pytest.mark.parametrize("utc, working", [
    (dt.datetime(2026, 10, 25, 20, 59), False),  # 21:59 CET on Sunday
    (dt.datetime(2026, 10, 25, 21, 0), True),    # 22:00 CET: the night shift starts
    (dt.datetime(2026, 10, 26, 4, 59), True),    # 05:59 CET on Monday, still Sunday's shift
    (dt.datetime(2026, 10, 26, 5, 0), False),    # 06:00 CET
])
def test_a_night_shift_after_fall_back(utc, working):
    calendar = WorkCalendar.build(week(sun=["22:00-06:00"]))
    assert calendar.is_working(berlin(utc)) is working


def test_working_hours_are_read_on_the_employees_own_clock():
    """09:00 in Moscow is 07:00 in Berlin: before a Berliner's office hours."""
    calendar = WorkCalendar.build(OFFICE)
    nine_in_moscow = dt.datetime(2026, 12, 15, 9, 0, tzinfo=MSK)
    assert working_now(calendar, nine_in_moscow, MSK)
    assert not working_now(calendar, nine_in_moscow, BERLIN)
    assert working_now(None, nine_in_moscow, BERLIN)
