"""A time zone with a work calendar: whether the people on it work at a given instant.

The routing index shares one Clock among everyone with the same zone and schedule
(a few dozen for 10,000 employees), and a department call asks about each of its
members.  So whether a clock works is kept per UTC hour, for all the calls in that
hour (`WorkingHours`): the 60 minutes of the hour as the bits of an int (bit m:
minute m of the hour is worked), cut from the calendar's worked minutes of the local
day (or two days, when the hour runs over local midnight).  A member is then a dict
lookup and a shift.

The bits are right as long as the zone's UTC offset is a whole number of minutes at
the start of every minute of the hour and does not change within a minute: then
each UTC minute is one local minute.  DST changes qualify, as they fall on whole
minutes (an hour with a change is worked out minute by minute, each with its own
offset); an hour that does not (LMT offsets with seconds, before ~1970) is never
kept, and its instants are converted exactly each time.  An hour is keyed by its
absolute number, so it can never answer for another hour, day or reload (a reload
builds a new index).
"""
from __future__ import annotations

from typing import Optional
from zoneinfo import ZoneInfo

from routing.fast.localtime import SECONDS_PER_HOUR, ZoneOffsets, day_and_minute, exact_offset
from routing.schedule import MINUTES_PER_DAY, WorkCalendar

_HOUR = (1 << 60) - 1                        # all 60 minutes of an hour
REMEMBERED_HOURS = 512                       # three weeks of hours


class Clock:
    """Compared and hashed by identity: index entries, and keys of WorkingHours' tables."""
    __slots__ = ("zone", "calendar", "_offsets")

    def __init__(self, zone: ZoneInfo, calendar: Optional[WorkCalendar], offsets: ZoneOffsets):
        self.zone = zone
        self.calendar = calendar             # None: always working
        self._offsets = offsets

    def works_at(self, seconds: int) -> bool:
        """Whether the schedule has people on this clock working at `seconds` since the epoch (UTC)."""
        if self.calendar is None:
            return True
        return self.calendar.works(*self._offsets.local(self.zone, seconds))

    def minutes_of(self, hour: int) -> Optional[int]:
        """The worked minutes of UTC hour `hour` (since the epoch) as bits, or None when
        its minutes are not local minutes (see the module's docstring)."""
        if self.calendar is None:
            return _HOUR
        offset = self._offsets.hour_offset(self.zone, hour)
        if offset is None:
            return self._minutes_across_a_change(hour)
        if offset % 60:
            return None
        return self._minutes_from(hour * SECONDS_PER_HOUR + offset, 60)

    def _minutes_from(self, local_seconds: int, count: int) -> int:
        """`count` worked minutes from a local time (whole minutes), as bits."""
        day, minute = day_and_minute(local_seconds)
        minutes = self.calendar.minutes_on(day) >> minute
        spill = minute + count - MINUTES_PER_DAY      # minutes on the next local day
        if spill > 0:
            minutes |= self.calendar.minutes_on(day + 1) << (count - spill)
        return minutes & ((1 << count) - 1)

    def _minutes_across_a_change(self, hour: int) -> Optional[int]:
        """An hour in which the offset changes: each minute with the offset at its start,
        provided the offset is the same at its end (a change on a whole minute)."""
        minutes = 0
        first = hour * SECONDS_PER_HOUR
        for m in range(60):
            start = first + 60 * m
            offset = exact_offset(self.zone, start)
            if offset % 60 or exact_offset(self.zone, start + 59) != offset:
                return None
            minutes |= self._minutes_from(start + offset, 1) << m
        return minutes


class WorkingHours:
    """Per UTC hour, the worked minutes of each clock asked about (see the module's
    docstring).  Bounded: past `limit` hours it starts over."""
    __slots__ = ("_hours", "limit")

    def __init__(self, limit: int = REMEMBERED_HOURS):
        self._hours: dict[int, dict[Clock, int]] = {}
        self.limit = limit

    def of(self, hour: int) -> dict[Clock, int]:
        """The table of UTC hour `hour`, filled by `works` as clocks are asked about."""
        table = self._hours.get(hour)
        if table is None:
            if len(self._hours) >= self.limit:
                self._hours.clear()
            table = self._hours[hour] = {}
        return table

    @staticmethod
    def works(table: dict[Clock, int], clock: Clock, seconds: int) -> bool:
        """Whether `clock` works at `seconds` (UTC), its hour kept in `table` (from `of`)."""
        hour, rest = divmod(seconds, SECONDS_PER_HOUR)
        minutes = table.get(clock)
        if minutes is None:
            minutes = clock.minutes_of(hour)
            if minutes is None:
                return clock.works_at(seconds)
            table[clock] = minutes
        return (minutes >> (rest // 60)) & 1 == 1
