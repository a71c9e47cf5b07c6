"""Which calls are recorded: the company's rule, overridden by a department's and an employee's.

Pure: the effective rule of one call is worked out from the snapshot and whom the
call was placed to (`rule_for`). A key a level leaves out comes from the level above;
the company's own missing keys take the defaults below.

A call is recorded by the rule of whom it was placed to (the employee or department
of its number), decided once before anyone is rung: the caller hears the
announcement then, and a forward later in the call neither adds one nor takes the
recording away, so what the caller was told stays true for the whole call.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from config.models import Department, Employee, Recording

DEFAULT_CALLS = "none"
DEFAULT_RETENTION_DAYS = 90


@dataclass(frozen=True)
class RecordingRule:
    calls: str = DEFAULT_CALLS                       # none | external | all
    announce: Optional[str] = None
    retention_days: int = DEFAULT_RETENTION_DAYS

    def records(self, internal: bool) -> bool:
        """Whether a call (internal: placed by an employee) is recorded under this rule."""
        return self.calls == "all" or (self.calls == "external" and not internal)


def merged(*levels: Optional[Recording]) -> RecordingRule:
    """The rule of levels given from the widest (company) to the narrowest (employee)."""
    calls, announce, retention = DEFAULT_CALLS, None, DEFAULT_RETENTION_DAYS
    for level in levels:
        if level is None:
            continue
        calls = level.calls if level.calls is not None else calls
        announce = level.announce if level.announce is not None else announce
        retention = level.retention_days if level.retention_days is not None else retention
    return RecordingRule(calls, announce, retention)


def rule_for(snapshot, employee: Optional[Employee] = None, department: Optional[Department] = None) -> RecordingRule:
    """The effective rule for a call to `employee` (their department's rule between) or to `department`;
    the company's for anything else."""
    company = snapshot.file.company.recording
    if employee is not None:
        own = snapshot.departments.get(employee.department) if employee.department else None
        return merged(company, own.recording if own is not None else None, employee.recording)
    if department is not None:
        return merged(company, department.recording)
    return merged(company)


def recordings_dir(snapshot) -> str:
    """`recordings.dir` as an absolute path: a relative one is relative to the config file, as `store.url` is."""
    directory = snapshot.file.recordings.dir
    if os.path.isabs(directory) or snapshot.source.startswith("<"):
        return os.path.abspath(directory)
    return os.path.abspath(os.path.join(os.path.dirname(snapshot.source), directory))


def rule_for_target(snapshot, target: str) -> Optional[RecordingRule]:
    """The rule of a call placed to `target` ("employee:LOGIN" / "department:NAME"); None when the
    file no longer has that employee or department."""
    kind, _, name = target.partition(":")
    if kind == "employee" and name in snapshot.by_login:
        return rule_for(snapshot, employee=snapshot.by_login[name])
    if kind == "department" and name in snapshot.departments:
        return rule_for(snapshot, department=snapshot.departments[name])
    return None


def shortest_retention(snapshot) -> int:
    """The fewest retention_days any rule of the file gives."""
    rules = [rule_for(snapshot)] + [rule_for(snapshot, department=d) for d in snapshot.departments.values()]
    rules += [rule_for(snapshot, employee=e) for e in snapshot.by_login.values()]
    return min(rule.retention_days for rule in rules)
