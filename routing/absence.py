"""Absences: inclusive date ranges, open-ended while `to` is empty.

An absence ends by itself: it is looked up for the date of the call in the
employee's own time zone, so nobody has to switch it off.

Routing keeps each person's absences as spans of day ordinals (`date.toordinal()`),
built with the snapshot, so the check in a call is two integer compares per absence,
with no date built and nothing remembered between calls.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from config.models import Absence

AbsenceSpan = tuple[int, int, Absence]       # first day, last day (ordinals, inclusive), the absence

_OPEN_END = dt.date.max.toordinal()


def current_absence(absences: Iterable[Absence], day: dt.date) -> Optional[Absence]:
    """The first absence (in the file's order) that covers `day`."""
    for absence in absences:
        if absence.from_ <= day and (absence.to is None or day <= absence.to):
            return absence
    return None


def spans(absences: Iterable[Absence]) -> tuple[AbsenceSpan, ...]:
    """The absences as day-ordinal spans, in the file's order."""
    return tuple((a.from_.toordinal(), _OPEN_END if a.to is None else a.to.toordinal(), a) for a in absences)


def absence_on(absence_spans: Iterable[AbsenceSpan], day: int) -> Optional[Absence]:
    """The first absence covering the day with ordinal `day`; same answer as current_absence."""
    for first, last, absence in absence_spans:
        if first <= day <= last:
            return absence
    return None
