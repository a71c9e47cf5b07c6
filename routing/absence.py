"""«Приём звонков → Отсутствие»: vacation, sick leave and other absences.

The provider's help page says:

    An absence is a range of dates, both included, with a reason (vacation, sick
    leave, other) and where calls go meanwhile.  Leave the end empty and it lasts
    until you remove it.  An announcement can be played to the caller first.  While
    an absence covers today you get no department calls, and direct calls go to its
    target.  It ends by itself: nobody has to switch it off.

"Today" is the date in the employee's own time zone (their `timezone`, else the
company's); absence comes before the schedule and the devices (routing.reception).
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


def absence_now(absences: Iterable[Absence], now: dt.datetime, zone: dt.tzinfo) -> Optional[Absence]:
    """The absence covering the date of `now` (aware) on the wall clock of `zone`."""
    return current_absence(absences, now.astimezone(zone).date())
