"""Fixtures of the end-to-end tests: the daemon under test beside a simulated FreeSWITCH.

`company.yaml` is the test company: one employee or department per scenario, with
explicit schedules and absences.  The calls come in on Monday 23 November 2026 at noon,
Moscow time (a working day, inside every schedule) unless a test says otherwise.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import Harness

COMPANY = (Path(__file__).parent / "company.yaml").read_text(encoding="utf-8")
MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW)

#: Every employee of company.yaml: registered, ringing, never answering unless a test says so.
LOGINS = ("ivan.petrov", "anna.smirnova", "s.kuznetsov", "boris.ivanov", "elena.orlova",
          "a.volkov", "b.zaitsev", "c.morozov")


@pytest.fixture
def make_harness(tmp_path):
    """Start daemons (each with its own simulator unless given one); all stopped at the end."""
    started: list[Harness] = []

    def make(company: str = COMPANY, *, now: dt.datetime = MONDAY_NOON, logins=LOGINS, **options) -> Harness:
        harness = Harness(company, tmp_path / f"d{len(started)}", now=now, **options)
        harness.tmp_path.mkdir(exist_ok=True)
        for login in logins:
            harness.sim.employee(login)
        started.append(harness)
        return harness.start()

    yield make
    for harness in reversed(started):
        harness.stop()


@pytest.fixture
def h(make_harness) -> Harness:
    """The test company's daemon, ready, on Monday noon."""
    return make_harness()
