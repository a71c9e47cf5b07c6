"""Logins derived from employees' names.

The login is the SIP user name of the employee's desk phone and softphone, so it is
plain lower-case ASCII.  Cyrillic is transliterated with iuliia's Wikipedia schema,
the one Russian speakers read most naturally: «Щукина Юлия» → shchukina.yuliya,
«Фёдор» → fyodor, «Андрей» → andrey, soft signs vanish («Дарья» → darya).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Sequence

import iuliia

from config.models import Employee
from config.problems import Finding

SCHEMA = iuliia.WIKIPEDIA
MAX_LENGTH = 64                               # config.models.Login allows 64 characters
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

Placed = tuple[int, Employee]                 # an employee and its index in the file


@lru_cache(maxsize=65536)          # a reload derives the same 10,000 names again
def derive_login(name: str) -> str:
    """`Иван Петров` → `ivan.petrov`, `John Smith` → `john.smith`.

    Words (split on spaces) are joined by dots; inside a word only Latin letters,
    digits, `-` and `_` are kept (`Салтыков-Щедрин` → `saltykov-shchedrin`,
    `O'Brien` → `obrien`).  Raises ValueError when no usable letter is left, e.g. a
    name written in Chinese: such an employee needs an explicit login.
    """
    latin = SCHEMA.translate(name)
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    words = (re.sub(r"[^a-z0-9_-]", "", word).strip("-_") for word in ascii_text.lower().split())
    login = ".".join(word for word in words if word)[:MAX_LENGTH].rstrip("._-")
    if not _LOGIN.fullmatch(login):
        raise ValueError(f"cannot make a login from the name {name!r}: give this employee an explicit login:")
    return login


def assign_logins(employees: Sequence[Placed]) -> tuple[list[Placed], list[Finding]]:
    """Fill in derived logins; report names that give no login and every clash.

    An explicit login used twice is reported on each repetition.  A derived login
    that equals any other login is reported on the employee it was derived for
    (every one of them when two names derive the same login): the fix is to give
    that employee an explicit `login:`, never to change someone else's.
    """
    filled: list[Placed] = []
    findings: list[Finding] = []
    derived: set[int] = set()
    for index, employee in employees:
        if employee.login is None:
            try:
                employee = employee.model_copy(update={"login": derive_login(employee.name)})
                derived.add(index)
            except ValueError as exc:
                findings.append(Finding(("employees", index, "name"), str(exc)))
        filled.append((index, employee))
    findings += _clashes(filled, derived)
    return filled, findings


def _clashes(employees: Sequence[Placed], derived: set[int]) -> list[Finding]:
    holders: dict[str, list[Placed]] = {}
    for index, employee in employees:
        if employee.login is not None:
            holders.setdefault(employee.login, []).append((index, employee))
    findings = []
    for login, same in holders.items():
        if len(same) < 2:
            continue
        first_explicit = next((pair for pair in same if pair[0] not in derived), None)
        for index, employee in same:
            if index in derived:
                others = [pair for pair in same if pair[0] != index]
                findings.append(Finding(("employees", index, "name"),
                                        f"the login derived from this name, {login!r}, is also the login of "
                                        f"{_names(others)}: give this employee an explicit login:"))
            elif first_explicit is not None and first_explicit[0] != index:
                findings.append(Finding(("employees", index, "login"),
                                        f"login {login!r} is already used by {_names([first_explicit])}"))
    return findings


def _names(employees: Sequence[Placed]) -> str:
    return ", ".join(f"{employee.name} (employees[{index}])" for index, employee in employees)
