"""Moments given on the command line (`--at`, `--since`, `--until`), kept within what
the commands can compute with.

Python's datetimes end at years 1 and 9999: `0001-01-01` east of Greenwich has no UTC
time, and a plan looks a day either side of its moment (yesterday's night shift,
forwards later in the call).  A moment too near either end is refused with a usage
error instead of an OverflowError deep inside.
"""
from __future__ import annotations

import datetime as dt

MARGIN = dt.timedelta(days=2)
EARLIEST, LATEST = "0001-01-03", "9999-12-29"


def within_range(moment: dt.datetime, text: str) -> dt.datetime:
    """`moment` (aware) when it and two days either side of it exist; else ValueError naming `text`."""
    try:
        utc = moment.astimezone(dt.timezone.utc)
        utc - MARGIN, utc + MARGIN
    except OverflowError:
        raise ValueError(f"{text!r} is out of range: give a time between {EARLIEST} and {LATEST}") from None
    return moment
