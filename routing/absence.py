"""Absences: inclusive date ranges, open-ended while `to` is empty.

An absence ends by itself: it is looked up for the date of the call in the
employee's own time zone, so nobody has to switch it off.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from config.models import Absence


def current_absence(absences: Iterable[Absence], day: dt.date) -> Optional[Absence]:
    """The first absence (in the file's order) that covers `day`."""
    for absence in absences:
        if absence.from_ <= day and (absence.to is None or day <= absence.to):
            return absence
    return None
