"""«Отсутствие», as the help page puts it (routing.absence).

A range of dates, both included; with no end it lasts until removed; it ends by
itself; "today" is the employee's own date.
(Whole direct and department calls during an absence: test_employee.py, test_department.py.)
"""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from config.models import Absence
from routing.absence import absence_now, current_absence

VACATION = Absence.model_validate({"from": "2026-12-14", "to": "2026-12-18", "reason": "vacation",
                                   "forward": {"employee": "anna"}})
SICK = Absence.model_validate({"from": "2026-12-16", "reason": "sick_leave", "forward": {"voicemail": True}})


@pytest.mark.parametrize("day, expected", [
    (dt.date(2026, 12, 13), None),               # the day before
    (dt.date(2026, 12, 14), VACATION),           # the first day is included
    (dt.date(2026, 12, 18), VACATION),           # the last day too
    (dt.date(2026, 12, 19), None),               # it ended by itself
])
def test_an_absence_covers_its_dates_both_included(day, expected):
    assert current_absence([VACATION], day) is expected


def test_an_absence_with_no_end_lasts_until_removed():
    assert current_absence([SICK], dt.date(2036, 1, 1)) is SICK
    assert current_absence([SICK], dt.date(2026, 12, 15)) is None


def test_when_two_overlap_the_first_listed_applies():
    assert current_absence([VACATION, SICK], dt.date(2026, 12, 17)) is VACATION
    assert current_absence([SICK, VACATION], dt.date(2026, 12, 17)) is SICK


def test_today_is_the_employees_own_date():
    """23:30 on the 13th in Moscow is already the 14th in Vladivostok."""
    now = dt.datetime(2026, 12, 13, 23, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    assert absence_now([VACATION], now, ZoneInfo("Europe/Moscow")) is None
    assert absence_now([VACATION], now, ZoneInfo("Asia/Vladivostok")) is VACATION
