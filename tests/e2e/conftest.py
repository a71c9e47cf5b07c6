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


#: Modules whose every test runs in both socket modes; the rest run in sync mode only (the
#: default and what is deployed).  The daemon's code paths that differ by mode are the
#: subscription, the reply waits, the answer's time and the hand-back: a call to one
#: person, to a department, a hangup and a record cover them all.  Measured (2 cores,
#: loaded): these add ~15 s to the ~40 s of the e2e tests; every test in both modes ~40 s.
BOTH_MODES = frozenset({"test_calls_direct", "test_calls_departments", "test_calls_hangup", "test_calls_records"})


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_MODES and "socket_mode" in metafunc.fixturenames:
        metafunc.parametrize("socket_mode", ["sync", "async"], indirect=True)


@pytest.fixture
def socket_mode(request) -> str:
    """How the simulator runs the socket application (and the daemon's daemon.socket_mode)."""
    return getattr(request, "param", "sync")


@pytest.fixture
def make_harness(tmp_path, socket_mode):
    """Start daemons (each with its own simulator unless given one); all stopped at the end."""
    started: list[Harness] = []

    def make(company: str = COMPANY, *, now: dt.datetime = MONDAY_NOON, logins=LOGINS, **options) -> Harness:
        options.setdefault("socket_mode", socket_mode)
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
