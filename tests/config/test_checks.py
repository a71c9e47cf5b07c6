"""Whole-file rules: each case breaks one rule and expects exactly the problems it marks."""
from __future__ import annotations

import pytest

from config.loader import load_text
from tests.config.sample import Case, assert_problems, company_file, employee


CASES = [
    Case("explicit login used twice",
         company_file(employees=employee("login: p.sidorov")
                      + "  - name: Павел Сидоров\n    login: p.sidorov  # <-\n    extension: 204\n"),
         (("", "employees[3].login", "login 'p.sidorov' is already used by Пётр Сидоров (employees[2])"),)),
    Case("derived login equal to an explicit one",
         company_file(employees=employee("login: anna.smirnova"),
                      replace=(("  - name: Анна Смирнова\n", "  - name: Анна Смирнова  # <-\n"),)),
         (("", "employees[1].name", "the login derived from this name, 'anna.smirnova', is also the login of "
                                    "Пётр Сидоров (employees[2]): give this employee an explicit login:"),)),
    Case("two names deriving the same login",
         company_file(employees="  - name: Иван Петров  # <-2\n    extension: 203\n",
                      replace=(("  - name: Иван Петров\n", "  - name: Иван Петров  # <-1\n"),)),
         (("1", "employees[0].name", "'ivan.petrov', is also the login of Иван Петров (employees[2])"),
          ("2", "employees[2].name", "'ivan.petrov', is also the login of Иван Петров (employees[0])"))),
    Case("two employees with one extension",
         company_file(employees=employee("extension: 202  # <-2"),
                      replace=(("    extension: 202\n", "    extension: 202  # <-1\n"),)),
         (("1", "employees[1].extension", "extension 202 is also used by employee Пётр Сидоров"),
          ("2", "employees[2].extension", "extension 202 is also used by employee Анна Смирнова"))),
    Case("a department and an employee with one extension",
         company_file(departments="  - name: Склад\n    extension: 201  # <-1\n",
                      replace=(("    extension: 201\n", "    extension: 201  # <-2\n"),)),
         (("1", "departments[1].extension", "extension 201 is also used by employee Иван Петров"),
          ("2", "employees[0].extension", "extension 201 is also used by department Склад"))),
    Case("extension outside the company's range",
         company_file(employees=employee("extension: 950  # <-")),
         (("", "employees[2].extension", "extension 950 is outside the company's extensions 200-899"),)),
    Case("extension with a leading zero (YAML would read 0250 as octal 168)",
         company_file(departments="  - name: Склад\n    extension: 0250  # <-\n"),
         (("", "departments[1].extension", "extension 0250 starts with 0: the company's extensions are 200-899"),)),
    Case("extension 112",
         company_file(employees=employee("extension: 112  # <-")),
         (("", "employees[2].extension", "extension 112 is an emergency number"),)),
    Case("extension 01 (written without quotes)",
         company_file(employees=employee("extension: 01  # <-")),
         (("", "employees[2].extension", "extension 01 is an emergency number"),)),
    Case("extension 911",
         company_file(departments="  - name: Склад\n    extension: 911  # <-\n"),
         (("", "departments[1].extension", "extension 911 is an emergency number"),)),
    Case("extension equal to a feature code",
         company_file(employees=employee("extension: 555  # <-") + 'features:\n  dnd_on: "555"\n'),
         (("", "employees[2].extension", "extension 555 is the feature code features.dnd_on"),)),
    Case("two departments with one name",
         company_file(departments="  - name: Продажи  # <-\n    extension: 301\n"),
         (("", "departments[1].name", "departments[0] is already named 'Продажи'"),)),
    Case("no_answer to an unknown employee",
         company_file(employees=employee("reception:\n  no_answer: {after: 20, employee: ivan.petrof}  # <-")),
         (("", "employees[2].reception.no_answer.employee",
           "there is no employee with the login 'ivan.petrof' (did you mean 'ivan.petrov'?)"),)),
    Case("off_hours to an unknown department",
         company_file(employees=employee("reception:\n  off_hours:\n    department: Склад  # <-")),
         (("", "employees[2].reception.off_hours.department", "there is no department named 'Склад'"),)),
    Case("absence forwarded to an unknown employee",
         company_file(employees=employee("""\
reception:
  absences:
    - from: 2026-12-01
      forward: {employee: nobody}  # <-""")),
         (("", "employees[2].reception.absences[0].forward.employee", "there is no employee with the login 'nobody'"),)),
    Case("department no_answer to an unknown department",
         company_file(departments="  - name: Склад\n    extension: 301\n    no_answer: {department: Слад}  # <-\n"),
         (("", "departments[1].no_answer.department", "there is no department named 'Слад'"),)),
    Case("company number for an unknown employee",
         company_file(company='    "+7 495 123-45-68": {employee: nobody}  # <-\n'),
         (("", 'company.numbers["+7 495 123-45-68"].employee', "there is no employee with the login 'nobody'"),)),
    Case("company number written twice in different ways",
         company_file(company='    "+74951234567": {department: Продажи}  # <-\n'),
         (("", "company.numbers.+74951234567", "the same number as '+7 495 123-45-67'"),)),
    Case("no_answer forwarded to oneself",
         company_file(employees=employee("login: p.sidorov\nreception:\n  no_answer: {employee: p.sidorov}  # <-")),
         (("", "employees[2].reception.no_answer.employee", "forwards Пётр Сидоров's calls back to Пётр Сидоров"),)),
    Case("off_hours forwarded to oneself (derived login)",
         company_file(employees=employee("reception:\n  off_hours: {employee: pyotr.sidorov}  # <-")),
         (("", "employees[2].reception.off_hours.employee", "forwards Пётр Сидоров's calls back to Пётр Сидоров"),)),
    Case("absence forwarded to oneself",
         company_file(employees=employee("""\
reception:
  absences:
    - {from: 2026-12-01, to: 2026-12-14, forward: {employee: pyotr.sidorov}}  # <-""")),
         (("", "employees[2].reception.absences[0].forward.employee", "forwards Пётр Сидоров's calls"),)),
    Case("department no_answer back to itself",
         company_file(departments="  - name: Склад\n    extension: 301\n    no_answer: {department: Склад}  # <-\n"),
         (("", "departments[1].no_answer.department", "sends Склад's unanswered calls back to Склад"),)),
    Case("devices: mobile without a mobile",
         company_file(employees=employee("reception:\n  devices: mobile  # <-")),
         (("", "employees[2].reception.devices", "devices: mobile rings the mobile, but Пётр Сидоров has no"),)),
    Case("devices: all without a mobile",
         company_file(employees=employee("reception:\n  devices: all  # <-\n  mobile_delay: 5")),
         (("", "employees[2].reception.devices", "devices: all rings the mobile"),)),
    Case("mobile_confirm without a mobile",
         company_file(employees=employee("reception:\n  mobile_confirm: yes  # <-")),
         (("", "employees[2].reception.mobile_confirm", "mobile_confirm needs a valid mobile: number"),)),
    Case("department member who is not an employee",
         company_file(departments="  - name: Склад\n    extension: 301\n    members: [ivan.petrov, anna.smirnov]  # <-\n"),
         (("", "departments[1].members[1]",
           "there is no employee with the login 'anna.smirnov' (did you mean 'anna.smirnova'?)"),)),
    Case("department member listed twice",
         company_file(departments="""\
  - name: Склад
    extension: 301
    members:
      - ivan.petrov
      - anna.smirnova
      - ivan.petrov  # <-
"""),
         (("", "departments[1].members[2]", "ivan.petrov is already a member of Склад"),)),
    Case("employee in an unknown department",
         company_file(employees=employee("department: Продаж  # <-")),
         (("", "employees[2].department", "there is no department named 'Продаж' (did you mean 'Продажи'?)"),)),
    Case("a day both holiday and workday",
         company_file(company="  holidays: [2026-12-31, 2027-01-01]\n  workdays:\n    - 2026-12-26\n"
                              "    - 2026-12-31  # <-\n"),
         (("", "company.workdays[1]", "2026-12-31 is listed both as a holiday and as a workday"),)),
    Case("voicemail box that belongs to no one",
         company_file(employees=employee('reception:\n  no_answer: {after: 20, voicemail: "777"}  # <-')),
         (("", "employees[2].reception.no_answer.voicemail",
           "there is no mailbox 777: it is neither an employee's nor a department's extension"),)),
    Case("mobile legs showing the company number without one",
         company_file(company="  mobile_caller_id: company  # <-\n"),
         (("", "company.mobile_caller_id", "mobile legs are to show the company number, but company.caller_id is not set"),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case):
    assert_problems(case)


VALID = [
    ("mobile_delay without devices: all is ignored",
     employee("reception:\n  devices: office\n  mobile_delay: 10")),
    ("voicemail in a department's box", employee('reception:\n  no_answer: {voicemail: "300"}')),
    ("voicemail in a colleague's box", employee("reception:\n  off_hours: {voicemail: 202}")),
    ("forward to a colleague and to a department",
     employee("reception:\n  no_answer: {after: 15, employee: ivan.petrov}\n  off_hours: {department: Продажи}")),
    ("night shift and a day ending at midnight",
     employee('reception:\n  schedule:\n    sun-thu: ["22:00-06:00"]\n    sat: ["12:00-24:00"]')),
    ("an absence without an end", employee("reception:\n  absences:\n    - {from: 2027-02-01, reason: sick_leave}")),
    ("mobile_confirm written as `off`", employee("reception:\n  mobile_confirm: off")),
]


@pytest.mark.parametrize("employees", [v for _, v in VALID], ids=[i for i, _ in VALID])
def test_valid_files_load(employees: str):
    snapshot = load_text(company_file(employees=employees), "test.yaml")
    assert snapshot.by_extension["203"].name == "Пётр Сидоров"
