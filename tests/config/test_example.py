"""The example company shipped with the package loads, and shows every setting an admin may use."""
from __future__ import annotations

from pathlib import Path

import pytest

import config
from config.loader import load
from config.models import Interval

EXAMPLE = Path(config.__file__).parent / "example.yaml"


@pytest.fixture(scope="module")
def example():
    return load(EXAMPLE)


def test_example_loads(example):
    assert (len(example.file.employees), len(example.file.departments)) == (10, 3)
    assert example.company.domain == "pbx.romashka.local"
    assert example.company.timezone == "Europe/Moscow"


def test_example_mixes_derived_and_explicit_logins(example):
    text = EXAMPLE.read_text(encoding="utf-8")
    explicit = [e.login for e in example.file.employees if f"login: {e.login}" in text]
    assert 0 < len(explicit) < len(example.file.employees) / 2
    assert "yuliya.shchukina" in example.by_login and "fyodor.yolkin" in example.by_login


def test_example_uses_every_kind_of_rule(example):
    employees = example.file.employees
    receptions = [e.reception for e in employees]
    departments = example.file.departments
    assert {r.devices for r in receptions} == {"office", "mobile", "all"}
    assert any(r.mobile_delay for r in receptions) and any(r.mobile_confirm for r in receptions)
    assert len({d.strategy for d in departments}) == 3
    targets = [r.no_answer for r in receptions] + [d.no_answer for d in departments]
    assert {t.kind for t in targets} == {"hangup", "employee", "department", "voicemail", "message"}
    assert {t.value is None for t in targets if t.kind == "voicemail"} == {True, False}  # own box and a named one
    assert {r.off_hours.kind for r in receptions} == {"hangup", "employee", "department", "voicemail", "message"}
    assert any(r.timezone == "Asia/Yekaterinburg" for r in receptions)


def test_example_schedules_cover_lunch_night_and_midnight(example):
    weeks = [r.week for r in (e.reception for e in example.file.employees) if r.week is not None]
    days = [day for week in weeks for day in week]
    assert any(len(day) >= 2 for day in days)                       # a lunch break
    assert any(i.end > 1440 for day in days for i in day)           # 22:00-06:00 crosses midnight
    assert Interval(start=720, end=1440) in {i for day in days for i in day}   # 12:00-24:00


def test_example_absences_calendar_and_numbers(example):
    absences = [a for e in example.file.employees for a in e.reception.absences]
    assert any(a.to is not None for a in absences)
    assert any(a.to is None and a.announce for a in absences)
    assert example.company.holidays and example.company.workdays
    assert {t.kind for t in example.numbers.values()} == {"employee", "department"}
    assert example.company.caller_id == "+74951234567"
    mobiles = [e.mobile for e in example.file.employees if e.mobile]
    assert mobiles and all(m.startswith("+79") and len(m) == 12 for m in mobiles)


def test_example_shows_the_runtime_sections_with_their_defaults():
    text = EXAMPLE.read_text(encoding="utf-8")
    for line in ("# daemon:", "# freeswitch:", "# store:", "#   url: sqlite:///var/callrouter.sqlite3"):
        assert line in text
