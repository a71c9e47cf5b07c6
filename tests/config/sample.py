"""A small valid company to build test files from, and markers for expected lines.

A case appends entries to a section (or replaces a line of the base) and marks the
line where it expects a problem with `# <-` (or `# <-1`, `# <-2` … when it expects
several), so the expected line numbers follow the text instead of being counted by hand.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from config.loader import ConfigError, load_text

COMPANY = """\
company:
  name: ООО «Тест»
  domain: pbx.test.local
  timezone: Europe/Moscow
  extensions: 200-899
  numbers:
    "+7 495 123-45-67": {department: Продажи}
"""

DEPARTMENTS = """\
departments:
  - name: Продажи
    extension: 300
    members: [ivan.petrov, anna.smirnova]
"""

EMPLOYEES = """\
employees:
  - name: Иван Петров
    extension: 201
    mobile: "+7 916 123-45-67"
    department: Продажи
  - name: Анна Смирнова
    extension: 202
"""


def company_file(company: str = "", departments: str = "", employees: str = "",
                 replace: tuple[tuple[str, str], ...] = ()) -> str:
    """The base company with lines appended to each section and base lines replaced."""
    text = COMPANY + company + DEPARTMENTS + departments + EMPLOYEES + employees
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def marked_lines(text: str) -> dict[str, int]:
    """{label: 1-based line} of every `# <-LABEL` marker ("" for a bare `# <-`)."""
    return {m.group(1): number
            for number, line in enumerate(text.splitlines(), start=1)
            for m in re.finditer(r"# <-(\w*)", line)}


def employee(lines: str) -> str:
    """One more employee, Пётр Сидоров (extension 203 unless the lines give one)."""
    body = "    " + lines.strip().replace("\n", "\n    ") + "\n"
    if "extension:" not in lines:
        body += "    extension: 203\n"
    return "  - name: Пётр Сидоров\n" + body


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: tuple[tuple[str, str, str], ...]      # (marker label, path, part of the message)


def assert_problems(case: Case) -> None:
    """Loading fails with exactly the expected problems, in file order, at the marked lines."""
    with pytest.raises(ConfigError) as raised:
        load_text(case.text, "test.yaml")
    lines = marked_lines(case.text)
    got = [(p.line, p.path) for p in raised.value.problems]
    assert got == [(lines[label], path) for label, path, _ in case.expected], str(raised.value)
    for problem, (label, path, fragment) in zip(raised.value.problems, case.expected):
        assert fragment in problem.message, str(problem)
        assert str(problem) == f"test.yaml:{lines[label]}: {path}: {problem.message}"
