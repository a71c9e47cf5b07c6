"""Who sees which calls: the one scope rule of «Личный кабинет» (issue 10).

Pure: no I/O, and in config/ because both the web pages and the store read it (the store never
imports the daemon). `scope_for()` turns an employee of the config snapshot into a
`Scope`; the store translates a Scope into SQL (`store.scope.scope_clause`) for
every query it answers (lists, counts, exports, statistics, a call's detail,
recording links), and `Scope.covers()` is the same rule over a call in memory,
which the tests hold the SQL to.

The definitions, as the issue gives them:
- "a call of department D": distributed to D (a step rang D), or addressed to one
  of its members (a step rang that person as themselves, a forward included),
  answered by a member, or placed by a member;
- "my call": placed by me, rang me (any of my devices, also for a department),
  answered by me, or addressed to me;
- "external": not internal (the caller is not an employee).

| role            | calls                                                           |
|-----------------|-----------------------------------------------------------------|
| admin           | every call, internal included                                   |
| department_head | own department's calls (scope: company: every call), internal in|
| user            | own department's (scope: company: every) external calls         |
| restricted_user | own ("my") external calls                                       |

A department's members are the logins its `members` lists plus the employees whose
`department` it is (a head manages the people of the department, whether or not
its calls ring them). An employee with no department and `scope: department` sees
their own calls. Rights: an admin may always export and listen; everyone else as
`can_download_history` / `can_listen_recordings` say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from config.snapshot import Snapshot

COMPANY = "company"             # Scope.kind: every call of the company
DEPARTMENTS = "departments"     # the calls of `departments` (members: `logins`)
MINE = "mine"                   # the viewer's own calls («Мои звонки»)

ROLES = ("admin", "department_head", "user", "restricted_user")


@dataclass(frozen=True)
class CallView:
    """What the rule needs to know of one call (see `store.history_facts` for the stored form)."""
    internal: bool
    departments: frozenset[str] = frozenset()     # departments it was distributed to
    addressed: frozenset[str] = frozenset()       # logins a step rang as themselves
    answered_by: str = ""
    caller_login: str = ""                        # the employee who placed it
    rung: frozenset[str] = frozenset()            # logins whose devices rang (for anyone)

    @property
    def involved(self) -> frozenset[str]:
        """Logins that make it a call of their department: addressed, answered, placed."""
        return self.addressed | {login for login in (self.answered_by, self.caller_login) if login}


@dataclass(frozen=True)
class Scope:
    """The calls one viewer may see, what they may do with them, and which filters they get."""
    viewer: str                                   # login
    role: str
    kind: str                                     # COMPANY | DEPARTMENTS | MINE
    departments: frozenset[str] = frozenset()     # kind DEPARTMENTS: the departments
    logins: frozenset[str] = frozenset()          # DEPARTMENTS: their members; MINE: {viewer}
    internal: bool = False                        # internal calls included
    can_export: bool = False                      # CSV / JSON export of the list
    can_listen: bool = False                      # recordings
    # Values the employee / department filters may take: None = any of the company's,
    # empty = the filter is not offered.
    employee_choices: Optional[frozenset[str]] = field(default=frozenset())
    department_choices: Optional[frozenset[str]] = field(default=frozenset())

    @property
    def can_filter_employee(self) -> bool:
        return self.employee_choices is None or bool(self.employee_choices)

    @property
    def can_filter_department(self) -> bool:
        return self.department_choices is None or bool(self.department_choices)

    def allows_employee(self, login: str) -> bool:
        return self.employee_choices is None or login in self.employee_choices

    def allows_department(self, name: str) -> bool:
        return self.department_choices is None or name in self.department_choices

    def covers(self, call: CallView) -> bool:
        """The rule itself, over a call in memory (the store's SQL must agree with it)."""
        if call.internal and not self.internal:
            return False
        if self.kind == COMPANY:
            return True
        if self.kind == DEPARTMENTS:
            return bool(call.departments & self.departments) or bool(call.involved & self.logins)
        return bool((call.involved | call.rung) & self.logins)


def members_of(snapshot: Snapshot, department: str) -> frozenset[str]:
    """The department's `members` and the employees whose department it is."""
    listed = snapshot.departments[department].members if department in snapshot.departments else ()
    return frozenset(listed) | {e.login for e in snapshot.file.employees if e.department == department}


def scope_for(login: str, snapshot: Snapshot) -> Optional[Scope]:
    """The viewer's scope; None for a login the snapshot does not have (removed, or never there).

    The snapshot holds the active employees only: one who left the file is gone
    from it, and so is everything they could see.
    """
    employee = snapshot.by_login.get(login)
    if employee is None or employee.role not in ROLES:
        return None
    rights = dict(can_export=employee.can_download_history, can_listen=employee.can_listen_recordings)
    if employee.role == "admin":
        return Scope(login, "admin", COMPANY, internal=True, can_export=True, can_listen=True,
                     employee_choices=None, department_choices=None)
    if employee.role == "restricted_user":
        return _mine(login, "restricted_user", internal=False, **rights)
    internal = employee.role == "department_head"
    if employee.scope == "company":
        return Scope(login, employee.role, COMPANY, internal=internal, employee_choices=None,
                     department_choices=None, **rights)
    department = employee.department
    if department is None or department not in snapshot.departments:
        return _mine(login, employee.role, internal=internal, **rights)
    members = members_of(snapshot, department)
    return Scope(login, employee.role, DEPARTMENTS, departments=frozenset({department}), logins=members,
                 internal=internal, employee_choices=members, department_choices=frozenset({department}),
                 **rights)


def _mine(login: str, role: str, *, internal: bool, can_export: bool, can_listen: bool) -> Scope:
    return Scope(login, role, MINE, logins=frozenset({login}), internal=internal, can_export=can_export,
                 can_listen=can_listen)
