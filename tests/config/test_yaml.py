"""The file as YAML: unreadable files, syntax, duplicate keys, YAML 1.1 surprises."""
from __future__ import annotations

import datetime as dt

import pytest

from config.loader import ConfigError, load, load_text
from tests.config.sample import Case, assert_problems, company_file, employee, marked_lines


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_text(text, "test.yaml")
    return [str(p) for p in raised.value.problems]


# --------------------------------------------------------------------------- the file as a whole

def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert [str(p) for p in raised.value.problems] == [f"{path}: no such file"]


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path)
    assert [str(p) for p in raised.value.problems] == [f"{tmp_path}: cannot read the file: Is a directory"]


def test_file_not_in_utf8(tmp_path):
    path = tmp_path / "cp1251.yaml"
    path.write_bytes(company_file().replace("name: ООО «Тест»", "name: X").encode()
                     + "  - name: Пётр Сидоров\n".encode("cp1251"))
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert [str(p) for p in raised.value.problems] == [f"{path}:19: not UTF-8 text: save the file as UTF-8"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "~\n"], ids=["empty", "blank", "comment", "null"])
def test_empty_file(text):
    assert problems_of(text) == ["test.yaml: the file is empty"]


def test_top_level_list():
    assert problems_of("- company\n- employees\n") == [
        "test.yaml:1: the file must be a mapping with the sections company, departments and employees"]


def test_syntax_error_names_its_line():
    text = company_file(employees=employee("reception:\n  devices: all\n   mobile_delay: 5  # <-"))
    [problem] = problems_of(text)
    assert problem.startswith(f"test.yaml:{marked_lines(text)['']}: not valid YAML: mapping values are not allowed")


def test_unclosed_flow_list():
    text = company_file(employees=employee('reception:\n  schedule:\n    mon-fri: ["09:00-13:00", "14:00-18:00"\n'
                                           '  off_hours: {hangup: true}  # <-'))
    [problem] = problems_of(text)
    assert problem.startswith(f"test.yaml:{marked_lines(text)['']}: not valid YAML: ")
    assert f"while parsing a flow sequence on line {marked_lines(text)[''] - 1}" in problem


def test_python_tags_are_refused():
    [problem] = problems_of(company_file(employees=employee("position: !!python/object:os.system ls  # <-")))
    assert problem.startswith("test.yaml:20: not valid YAML: could not determine a constructor")


def test_an_alias_inside_itself_is_refused():
    [problem] = problems_of(company_file() + "loop: &loop [*loop]\n")
    assert problem == f"test.yaml:{company_file().count(chr(10)) + 1}: not valid YAML: an alias refers to its own parent"


def test_missing_company():
    assert problems_of("employees: []\n") == ["test.yaml:1: company: is required"]


# --------------------------------------------------------------------------- duplicate keys

DUPLICATES = [
    Case("a key twice in one employee",
         company_file(employees=employee("extension: 203\nposition: Кладовщик\nextension: 204  # <-")),
         (("", "employees[2].extension", "duplicate key 'extension' (first on line 20): YAML would silently "
                                         "keep only the last one"),)),
    Case("a section twice",
         company_file() + "departments:  # <-\n  - {name: Продажи, extension: 300, members: [ivan.petrov]}\n",
         (("", "departments", "duplicate key 'departments' (first on line 8)"),)),
    Case("a weekday twice in a schedule",
         company_file(employees=employee('reception:\n  schedule:\n    mon: ["09:00-13:00"]\n'
                                         '    mon: ["14:00-18:00"]  # <-')),
         (("", "employees[2].reception.schedule.mon", "duplicate key 'mon' (first on line 22)"),)),
]


@pytest.mark.parametrize("case", DUPLICATES, ids=[c.id for c in DUPLICATES])
def test_duplicate_key(case: Case):
    assert_problems(case)


def test_merge_keys_may_be_overridden():
    text = company_file(employees="""\
  - name: Пётр Сидоров
    extension: 203
    reception: &office-hours
      schedule: {mon-fri: ["09:00-18:00"]}
      off_hours: {voicemail: true}
  - name: Павел Сидоров
    extension: 204
    reception:
      <<: *office-hours
      off_hours: {hangup: true}
""")
    snapshot = load_text(text, "test.yaml")
    pavel = snapshot.by_extension["204"].reception
    assert pavel.off_hours.kind == "hangup"
    assert [str(i) for i in pavel.week[0]] == ["09:00-18:00"]


# --------------------------------------------------------------------------- YAML 1.1 surprises

def test_numbers_are_read_as_written():
    """0201 is not octal 129, an unquoted +7… keeps its plus, 10:30 is not 630."""
    text = company_file(company="  caller_id: +74951234567\n"
                                "  holidays: [2026-12-31]\n",
                        employees=employee("mobile: 89161234567\nposition: 10:30")
                        + "  - name: Павел Сидоров\n    extension: 0204  # <-\n",
                        replace=(('    "+7 495 123-45-67": {department: Продажи}\n',
                                  "    +74951234567: {department: Продажи}\n"),))
    with pytest.raises(ConfigError) as raised:
        load_text(text, "test.yaml")
    assert [str(p) for p in raised.value.problems] == [
        f"test.yaml:{marked_lines(text)['']}: employees[3].extension: "
        "extension 0204 starts with 0: the company's extensions are 200-899"]
    snapshot = load_text(text.replace("0204", "204"), "test.yaml")
    assert snapshot.company.caller_id == "+74951234567"
    assert set(snapshot.numbers) == {"+74951234567"}
    assert snapshot.company.holidays == (dt.date(2026, 12, 31),)
    assert snapshot.by_extension["203"].mobile == "+79161234567"
    assert snapshot.by_extension["203"].position == "10:30"


def test_yes_no_on_off_are_booleans():
    text = company_file(employees=employee("can_download_history: no\ncan_listen_recordings: off\n"
                                           'mobile: "+7 903 345-67-89"\nreception:\n  mobile_confirm: yes'))
    petr = load_text(text, "test.yaml").by_extension["203"]
    assert (petr.can_download_history, petr.can_listen_recordings, petr.reception.mobile_confirm) == (
        False, False, True)


# --------------------------------------------------------------------------- every problem at once

def test_every_problem_is_reported_at_once():
    """A syntax-level, a field-level and a whole-file problem in one file: all three, in file order."""
    text = company_file(
        departments="  - name: Склад\n    extension: 301\n    members: [ivan.petrov, nobody]  # <-1\n",
        employees=employee("extension: 203\nextension: 204  # <-2\nreception:\n  devices: al  # <-3")
        + "  - name: Павел Сидоров\n    extension: 205\n    department: Склад\n    reception:\n"
          "      no_answer: {employee: pyotr.sidorof}  # <-4\n")
    lines = marked_lines(text)
    assert problems_of(text) == [
        f"test.yaml:{lines['1']}: departments[1].members[1]: there is no employee with the login 'nobody'",
        f"test.yaml:{lines['2']}: employees[2].extension: duplicate key 'extension' (first on line {lines['2'] - 1}):"
        " YAML would silently keep only the last one",
        f"test.yaml:{lines['3']}: employees[2].reception.devices: must be one of 'office', 'mobile' or 'all', not 'al'",
        f"test.yaml:{lines['4']}: employees[3].reception.no_answer.employee: there is no employee with the login "
        "'pyotr.sidorof' (did you mean 'pyotr.sidorov'?)",
    ]


def test_an_invalid_entry_is_not_reported_as_unknown():
    """A reference to an employee whose own entry is broken is not a second problem."""
    text = company_file(employees="  - name: Пётр Сидоров\n    extension: abc  # <-\n",
                        departments="  - name: Склад\n    extension: 301\n    members: [pyotr.sidorov]\n")
    assert problems_of(text) == [
        f"test.yaml:{marked_lines(text)['']}: employees[2].extension: extension 'abc' must be 2 to 8 digits"]
