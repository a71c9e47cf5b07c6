"""The parts of an invalid file that can still be checked as a whole.

When validation fails there is no ConfigFile, yet the admin should hear about a
dangling reference or a clashing extension in the same run as about a misspelt key.
So each company, department and employee is validated on its own; an entry with bad
settings is checked without them (their defaults in their place), and an entry that
cannot stand without them (a bad name or extension) is left out — references to it
are then not reported as unknown.
"""
from __future__ import annotations

from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from config.checks import Sections, Unchecked
from config.logins import derive_login
from config.models import Company, Department, Employee, FeatureCodes
from config.problems import Loc

M = TypeVar("M", bound=BaseModel)


def valid_parts(data: dict[str, Any]) -> Sections:
    """The entries that pass validation on their own, for the whole-file checks."""
    departments, bad_departments = _each_valid(Department, data.get("departments"))
    employees, bad_employees = _each_valid(Employee, data.get("employees"))
    return Sections(
        company=_valid(Company, data.get("company")),
        departments=departments,
        employees=employees,
        features=_valid(FeatureCodes, data.get("features", {})) or FeatureCodes(),
        unchecked=Unchecked(
            logins=frozenset(filter(None, map(_raw_login, bad_employees))),
            departments=frozenset(filter(None, (_raw(item, "name") for item in bad_departments))),
            extensions=frozenset(filter(None, (_raw(item, "extension") for item in bad_departments + bad_employees))),
        ))


def _valid(model: type[M], raw: Any) -> Optional[M]:
    """`raw` validated, or else without its invalid settings (defaults in their place).

    An employee with a misspelt key or a bad schedule is still checked for clashes
    and references; one whose required field (name, extension) is wrong is not.
    """
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        if not isinstance(raw, dict):
            return None
        for error in exc.errors():
            raw = _without(raw, _setting(error["loc"]))
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _setting(loc: Loc) -> Loc:
    """The part of an error's location that names a setting: it stops before a list index,
    so that removing the setting never renumbers the entries that later checks report."""
    for position, item in enumerate(loc):
        if isinstance(item, int):
            return loc[:position]
    return loc


def _without(raw: dict[str, Any], loc: Loc) -> dict[str, Any]:
    """A copy of `raw` with the nested key at `loc` removed (`raw` itself is left as is)."""
    if not loc or not isinstance(raw, dict) or loc[0] not in raw:
        return raw
    head, rest = loc[0], loc[1:]
    if not rest or not isinstance(raw[head], dict):
        return {key: value for key, value in raw.items() if key != head}
    return {**raw, head: _without(raw[head], rest)}


def _each_valid(model: type[M], raw: Any) -> tuple[tuple[tuple[int, M], ...], list[Any]]:
    valid, invalid = [], []
    for index, item in enumerate(raw if isinstance(raw, list) else ()):
        entry = _valid(model, item)
        if entry is None:
            invalid.append(item)
        else:
            valid.append((index, entry))
    return tuple(valid), invalid


def _raw(item: Any, key: str) -> Optional[str]:
    value = item.get(key) if isinstance(item, dict) else None
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _raw_login(item: Any) -> Optional[str]:
    login = _raw(item, "login")
    name = _raw(item, "name")
    if login is None and name is not None:
        try:
            login = derive_login(name)
        except ValueError:
            pass
    return login
