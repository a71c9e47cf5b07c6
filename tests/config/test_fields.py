"""Field errors found by the models: plain-English message, the field's path, its line."""
from __future__ import annotations

import pytest

from config.loader import ConfigError, load_text
from tests.config.sample import Case, assert_problems, company_file, employee

CASES = [
    Case("interval without an end, in a flow list",
         company_file(employees=employee('reception:\n  schedule:\n    mon-fri: ["09:00-13:00", "14:00"]  # <-')),
         (("", "employees[2].reception.schedule.mon-fri[1]", "malformed interval '14:00': expected HH:MM-HH:MM"),)),
    Case("impossible time, in a block list",
         company_file(employees=employee("""\
reception:
  schedule:
    mon-fri:
      - "09:00-13:00"
      - "14:00-25:00"  # <-""")),
         (("", "employees[2].reception.schedule.mon-fri[1]", "no such time of day"),)),
    Case("unknown weekday",
         company_file(employees=employee('reception:\n  schedule:\n    mon-fry: ["09:00-18:00"]  # <-')),
         (("", "employees[2].reception.schedule.mon-fry", "unknown weekday 'mon-fry'"),)),
    Case("misspelt key",
         company_file(employees=employee("position: Кладовщик\nextention: 204  # <-")),
         (("", "employees[2].extention", "unknown setting 'extention' (did you mean 'extension'?)"),)),
    Case("key that belongs elsewhere",
         company_file(employees=employee("reception:\n  voicemail: true  # <-")),
         (("", "employees[2].reception.voicemail",
           "unknown setting 'voicemail'; the settings here are devices, mobile_delay, mobile_confirm"),)),
    Case("devices not one of the three",
         company_file(employees=employee("reception:\n  devices: phone  # <-")),
         (("", "employees[2].reception.devices", "must be one of 'office', 'mobile' or 'all', not 'phone'"),)),
    Case("target with two destinations",
         company_file(employees=employee("reception:\n  no_answer: {after: 20, employee: ivan.petrov, voicemail: true}  # <-")),
         (("", "employees[2].reception.no_answer",
           "a target needs exactly one of hangup, employee, department, voicemail, message (got employee, voicemail)"),)),
    Case("target written as a word",
         company_file(employees=employee("reception:\n  off_hours: voicemail  # <-")),
         (("", "employees[2].reception.off_hours", "must be a target: a mapping with one of hangup: true"),)),
    Case("voicemail: false",
         company_file(employees=employee("reception:\n  off_hours: {voicemail: false}  # <-")),
         (("", "employees[2].reception.off_hours.voicemail",
           'voicemail must be true (the own mailbox) or a mailbox number such as "300", not false'),)),
    Case("seconds written as a word",
         company_file(departments="  - name: Склад\n    extension: 301\n    member_timeout: fifteen  # <-\n"),
         (("", "departments[1].member_timeout", "must be a whole number, not 'fifteen'"),)),
    Case("a wait of zero seconds",
         company_file(departments="  - name: Склад\n    extension: 301\n    timeout: 0  # <-\n"),
         (("", "departments[1].timeout", "must be at least 1, not 0"),)),
    Case("a date that does not exist",
         company_file(employees=employee("reception:\n  absences:\n    - {from: 2026-02-30, reason: vacation}  # <-")),
         (("", "employees[2].reception.absences[0].from", "must be a date such as 2026-12-31, not '2026-02-30'"),)),
    Case("an absence that ends before it starts",
         company_file(employees=employee("reception:\n  absences:\n    - {from: 2026-12-14, to: 2026-12-01}  # <-")),
         (("", "employees[2].reception.absences[0]", "absence ends (2026-12-01) before it starts (2026-12-14)"),)),
    Case("unknown absence reason",
         company_file(employees=employee("reception:\n  absences:\n    - from: 2026-12-01\n      reason: holiday  # <-")),
         (("", "employees[2].reception.absences[0].reason",
           "must be one of 'vacation', 'sick_leave' or 'other', not 'holiday'"),)),
    Case("employee without an extension",
         company_file(employees="  - name: Пётр Сидоров  # <-\n    position: Кладовщик\n"),
         (("", "employees[2].extension", "is required"),)),
    Case("mobile that is not a phone number",
         company_file(employees=employee('mobile: "+7 916 12"  # <-')),
         (("", "employees[2].mobile", "'+7 916 12' is not a valid phone number"),)),
    Case("login in capitals",
         company_file(employees=employee("login: Petr  # <-")),
         (("", "employees[2].login", "must be lower-case Latin letters, digits, '.', '_' or '-' (up to 64, starting with a letter or digit), not 'Petr'"),)),
    Case("unknown time zone",
         company_file(employees=employee("reception:\n  timezone: Europe/Moskow  # <-")),
         (("", "employees[2].reception.timezone", "unknown time zone 'Europe/Moskow'"),)),
    Case("e-mail without a domain",
         company_file(employees=employee("email: petr@  # <-")),
         (("", "employees[2].email", "must be an e-mail address such as ivan@romashka.ru, not 'petr@'"),)),
    Case("company number that is not a number",
         company_file(company='    "+7 495 12": {department: Продажи}  # <-\n'),
         (("", 'company.numbers["+7 495 12"]', "'+7 495 12' is not a valid phone number"),)),
    Case("extension range written backwards",
         company_file(replace=(("  extensions: 200-899\n", "  extensions: 899-200  # <-\n"),)),
         (("", "company.extensions", "extension range 899-200 is empty"),)),
    Case("unknown top-level section",
         company_file() + "feature:  # <-\n  dnd_on: '*78'\n",
         (("", "feature", "unknown setting 'feature' (did you mean 'features'?)"),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_field_error(case: Case):
    assert_problems(case)


def test_messages_carry_no_pydantic_boilerplate():
    text = company_file(employees=employee("extension: abc\nmobile: x\nlogin: X\nreception:\n  devices: 5\n"
                                           "  no_answer: {after: -1}\n  off_hours: {voicemail: x}"))
    with pytest.raises(ConfigError) as raised:
        load_text(text, "test.yaml")
    assert len(raised.value.problems) == 6
    for problem in raised.value.problems:
        assert "errors.pydantic.dev" not in problem.message
        assert "Value error" not in problem.message
        assert "Input should" not in problem.message
