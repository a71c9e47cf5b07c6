"""`callrouter check` warns (exit 0) about rules under which something never rings, or
that routing reads otherwise than they look: file, line, field, and what happens instead."""
from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from daemon.cli.check import CONFIG_ENV
from tests.config.sample import company_file, employee, marked_lines


@pytest.fixture(autouse=True)
def no_config_env(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def check(capsys, tmp_path: Path, text: str) -> tuple[list[str], str]:
    path = tmp_path / "company.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "-c", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: OK")
    return err.splitlines(), str(path)


CASES = [
    pytest.param(employee("reception:\n  no_answer: {after: 0, voicemail: true}   # <-"),
                 "employees[2].reception.no_answer.after",
                 ["Пётр Сидоров's phones never ring on a direct call", "a direct call goes at once to voicemail 203"],
                 id="after-0"),
    pytest.param(employee('mobile: "+7 916 222-33-44"\nreception:\n  devices: all\n  mobile_delay: 30   # <-\n'
                          "  no_answer: {after: 20, employee: ivan.petrov}"),
                 "employees[2].reception.mobile_delay",
                 ["the mobile would join after 30 s, but after 20 s the call goes to ivan.petrov",
                  "rings only when the office phones cannot"],
                 id="mobile-delay"),
    pytest.param(employee('reception:\n  schedule:\n    mon-fri: ["09:00-18:00"]\n'
                          '    mon: ["17:00-20:00"]   # <-'),
                 "employees[2].reception.schedule.mon[0]",
                 ["17:00-20:00 overlaps 09:00-18:00 (mon-fri) on mon", "counted as one shift, 09:00-20:00"],
                 id="overlap"),
    pytest.param(employee('reception:\n  schedule:\n    mon-fri: ["18:00-14:00"]   # <-'),
                 "employees[2].reception.schedule.mon-fri[0]",
                 ["18:00-14:00 ends before it starts, so it is a night shift of 20 hours",
                  "from 18:00 until 14:00 the next day", "if you meant 14:00-18:00, write that"],
                 id="twenty-hour-night"),
]


@pytest.mark.parametrize("employees, path, fragments", CASES)
def test_a_rule_under_which_something_never_rings_is_a_warning(capsys, tmp_path, employees, path, fragments):
    text = company_file(employees=employees)
    warnings, source = check(capsys, tmp_path, text)
    line = marked_lines(text)[""]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{source}:{line}: {path}: warning: ")
    for fragment in fragments:
        assert fragment in warnings[0]


def test_a_night_shift_that_spills_into_the_next_days_hours_overlaps_them(capsys, tmp_path):
    text = company_file(employees=employee('reception:\n  schedule:\n    mon: ["22:00-10:00"]\n'
                                           '    tue: ["09:00-18:00"]   # <-'))
    warnings, source = check(capsys, tmp_path, text)
    assert warnings == [f"{source}:{marked_lines(text)['']}: employees[2].reception.schedule.tue[0]: warning: "
                        "09:00-18:00 overlaps 22:00-10:00 (mon, its part after midnight) on tue: "
                        "the hours are counted as one shift, 00:00-18:00"]


@pytest.mark.parametrize("employees", [
    employee('reception:\n  schedule:\n    sun-thu: ["22:00-06:00"]\n    mon-fri: ["09:00-13:00", "14:00-18:00"]'),
    employee('mobile: "+7 916 222-33-44"\nreception:\n  devices: all\n  mobile_delay: 10\n  no_answer: {after: 20}'),
    employee('reception:\n  schedule:\n    mon-fri: ["20:00-08:00"]'),                # a 12-hour night shift
])
def test_usual_rules_give_no_warning(capsys, tmp_path, employees):
    assert check(capsys, tmp_path, company_file(employees=employees))[0] == []
