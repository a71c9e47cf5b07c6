"""A call's `now` on the wall clock of a time zone, as what schedules and absences read:
the local day (a proleptic ordinal, as `date.toordinal()`) and the minute of that day.

`now.astimezone(zone)` costs about a microsecond on the target machine, and a call
would do it for every time zone its people work in.  A zone's UTC offset only
changes at its transitions (DST, law changes), so it is remembered per (zone, UTC
hour) and the local time is integer arithmetic: local seconds = UTC seconds + offset.

DST: an hour whose offset at its first and last second differ contains a transition;
it is never remembered, and an instant in it is converted exactly by zoneinfo.  So
the cache is right whatever minute the transition falls on (St John's and Adelaide
change at :30 UTC).  It assumes no zone changes its offset twice within one hour and
back, which tzdata has never recorded.

Seconds are kept until the minute is taken, so an offset with seconds (LMT) is exact
too, and nothing is rounded: 08:59:59 is minute 539.
"""
from __future__ import annotations

import datetime as dt
from math import floor
from typing import Optional
from zoneinfo import ZoneInfo

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()          # day number of 1970-01-01
DEFAULT_LIMIT = 4_096                        # (zone, hour) pairs: a few zones over weeks of calls
_UNSEEN = object()


def utc_seconds(now: dt.datetime) -> int:
    """Whole seconds since 1970-01-01 UTC of an aware datetime, floored (08:59:59.999999
    stays in minute 539: the float keeps microseconds apart until about 2250)."""
    return floor(now.timestamp())


def day_and_minute(local_seconds: int) -> tuple[int, int]:
    """(day ordinal, minute of the day) of a local time counted in seconds from 1970-01-01 00:00."""
    days, seconds = divmod(local_seconds, SECONDS_PER_DAY)
    return days + _EPOCH_ORDINAL, seconds // 60


def exact_offset(zone: ZoneInfo, seconds: int) -> int:
    """The zone's UTC offset at that instant, asked of zoneinfo (seconds)."""
    return int(dt.datetime.fromtimestamp(seconds, zone).utcoffset().total_seconds())


class ZoneOffsets:
    """UTC offsets of time zones, remembered per UTC hour without a transition.

    Bounded: at `limit` entries it starts over (the entries are a few ints)."""
    __slots__ = ("_by_hour", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT):
        self._by_hour: dict[tuple[ZoneInfo, int], Optional[int]] = {}
        self.limit = limit

    def offset(self, zone: ZoneInfo, seconds: int) -> int:
        """The zone's UTC offset, in seconds, at `seconds` since the epoch (UTC)."""
        offset = self.hour_offset(zone, seconds // SECONDS_PER_HOUR)
        return offset if offset is not None else exact_offset(zone, seconds)

    def hour_offset(self, zone: ZoneInfo, hour: int) -> Optional[int]:
        """The zone's UTC offset throughout the UTC hour `hour` (since the epoch), or
        None when it changes within that hour."""
        key = (zone, hour)
        offset = self._by_hour.get(key, _UNSEEN)
        if offset is _UNSEEN:
            offset = self._learn(key)
        return offset

    def _learn(self, key: tuple[ZoneInfo, int]) -> Optional[int]:
        """The hour's offset, or None when it changes within the hour (a transition)."""
        zone, hour = key
        first = hour * SECONDS_PER_HOUR
        offset = exact_offset(zone, first)
        if exact_offset(zone, first + SECONDS_PER_HOUR - 1) != offset:
            offset = None
        if len(self._by_hour) >= self.limit:
            self._by_hour.clear()
        self._by_hour[key] = offset
        return offset

    def local(self, zone: ZoneInfo, seconds: int) -> tuple[int, int]:
        """(day ordinal, minute of the day) in `zone` at `seconds` since the epoch (UTC)."""
        return day_and_minute(seconds + self.offset(zone, seconds))
