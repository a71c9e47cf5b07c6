"""«Приём звонков → График работы»: the working schedule, night shifts, holidays.

The provider's help page says:

    For each weekday, one or more intervals HH:MM-HH:MM (a lunch break is two
    intervals), in the company's time zone unless you choose another.  An interval
    may run past midnight (a night shift, "22:00-06:00").  The company's holidays
    are days off; its extra working days (a transferred Saturday) are worked.  Out
    of these hours you get no department calls, and direct calls go to your
    «Вне рабочего времени» (off hours) target.  No schedule: always working.

Like wazo-agid's schedule, the state is a function of a datetime handed in; unlike
it, intervals may cross midnight and nothing is rounded.

- An interval is (start, end) in minutes from the start of the day it belongs to;
  `end` may exceed 1440 ("22:00-06:00" is (1320, 1800)): the part after midnight
  belongs to the day the interval STARTS.  At 02:00 on Tuesday, Monday's intervals
  ending after 1440 + 120 count.
- Boundaries are whole minutes and `end` is exclusive, so comparing the minute of
  the day (seconds dropped) is exact: 17:59:59 is inside "09:00-18:00", 18:00:00 is not.
- Company holidays have no intervals at all, including the after-midnight part of
  an interval that started on the holiday.
- Extra working days (a transferred Saturday) work the schedule of the first
  weekday, Monday to Friday, that has intervals; with none, the day stays off.
- The time handed in is local wall-clock time (`now.astimezone(zone)`), so DST
  changes need no special case: a wall-clock hour skipped in spring simply never
  occurs, one repeated in autumn is inside or outside twice.

A day's working minutes are also given as the bits of one integer
(`minutes_on`: its own intervals plus the previous day's that run past midnight),
which the speed layer keeps per day (routing.fast.clock).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

MINUTES_PER_DAY = 1440

Interval = tuple[int, int]
DayIntervals = tuple[Interval, ...]

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True, eq=False)
class WorkCalendar:
    """One weekly schedule together with the company's calendar of exceptions.

    Compared and hashed by identity: the speed layer shares one calendar among all
    employees with the same schedule."""
    week: tuple[DayIntervals, ...]           # Monday = 0
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]             # extra working days (transferred Saturdays)
    extra_day: DayIntervals                  # what an extra working day works

    @classmethod
    def build(cls, week: Iterable[Iterable[object]], holidays: Iterable[dt.date] = (),
              workdays: Iterable[dt.date] = ()) -> "WorkCalendar":
        """`week`: seven sequences of intervals, either (start, end) pairs or objects
        with `start`/`end` attributes (config.models.Interval)."""
        days = tuple(tuple(sorted(_pair(i) for i in day)) for day in week)
        if len(days) != 7:
            raise ValueError(f"a week has 7 days, not {len(days)}")
        extra = next((day for day in days[:5] if day), ())
        return cls(days, frozenset(holidays), frozenset(workdays), extra)

    def intervals_on(self, day: dt.date) -> DayIntervals:
        """The intervals that start on `day` (holidays and extra working days applied)."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.extra_day
        return self.week[day.weekday()]

    def is_working(self, local: dt.datetime) -> bool:
        """Whether `local` (wall-clock time in the schedule's zone) is inside an interval."""
        return self.works(local.toordinal(), local.hour * 60 + local.minute)

    def works(self, day: int, minute: int) -> bool:
        """Whether minute `minute` of the day with ordinal `day` (local) is inside an interval."""
        return (self.minutes_on(day) >> minute) & 1 == 1

    def minutes_on(self, ordinal: int) -> int:
        """The worked minutes of the day with ordinal `ordinal`, as bits: bit m is set
        when minute m is worked, by the day's own intervals up to midnight or by the
        part after midnight of the previous day's."""
        day = dt.date.fromordinal(ordinal)
        minutes = 0
        for start, end in self.intervals_on(day):
            minutes |= _bits(start, min(end, MINUTES_PER_DAY))
        for start, end in self.intervals_on(day - _ONE_DAY):
            if end > MINUTES_PER_DAY:
                minutes |= _bits(max(start, MINUTES_PER_DAY) - MINUTES_PER_DAY, end - MINUTES_PER_DAY)
        return minutes


def is_working(calendar: Optional[WorkCalendar], local: dt.datetime) -> bool:
    """Whether `local` (wall-clock time in the schedule's zone) is working time; no
    schedule means always working."""
    return calendar is None or calendar.is_working(local)


def working_now(calendar: Optional[WorkCalendar], now: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether the aware instant `now` is working time on the wall clock of `zone`."""
    return is_working(calendar, now.astimezone(zone))


def _bits(start: int, end: int) -> int:
    """Bits start .. end-1 set."""
    return ((1 << (end - start)) - 1) << start if end > start else 0


def _pair(interval: object) -> Interval:
    if isinstance(interval, tuple):
        start, end = interval
    else:
        start, end = interval.start, interval.end  # type: ignore[attr-defined]
    if not 0 <= start < end <= 2 * MINUTES_PER_DAY:
        raise ValueError(f"interval {start}-{end} is not within two days")
    return int(start), int(end)
