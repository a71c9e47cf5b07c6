"""The scope rule (config/access.py) as SQL: the one place it is translated.

Every history query — list, count, export, statistics, a call's detail, recording
links — puts `scope_clause(scope, calls_alias)` in its WHERE. `call_parties` holds
the people and departments each call concerns (store/history_facts.py), so:

- company: every call (internal ones only when the scope includes them);
- departments: a `d:D` party of one of the departments, or an `e:LOGIN` party of a
  member that is not "rung only" (addressed, answered or placed by the member);
- mine: any `e:ME` party (a call that rang me counts too).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import and_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from config.access import COMPANY, DEPARTMENTS, MINE, Scope
from store.history_facts import DEPARTMENT, EMPLOYEE
from store.tables import call_parties, calls


def employee_parties(logins: Iterable[str]) -> list[str]:
    return sorted(EMPLOYEE + login for login in logins)


def department_parties(names: Iterable[str]) -> list[str]:
    return sorted(DEPARTMENT + name for name in names)


def _within(stmt, start, end):
    """A party subquery narrowed to calls started in [start, end) (either may be None)."""
    if start is not None:
        stmt = stmt.where(call_parties.c.started >= start)
    if end is not None:
        stmt = stmt.where(call_parties.c.started < end)
    return stmt


def calls_of(departments: Iterable[str], members: Iterable[str], start=None, end=None):
    """SELECT call_id of "a call of" these departments (with these members)."""
    p = call_parties.c
    return _within(select(p.call_id).where(or_(p.party.in_(department_parties(departments)),
                                               and_(p.party.in_(employee_parties(members)),
                                                    p.rung_only.is_(False)))), start, end)


def calls_of_employee(login: str, start=None, end=None):
    """SELECT call_id of "my call" for `login`."""
    return _within(select(call_parties.c.call_id).where(call_parties.c.party == EMPLOYEE + login), start, end)


def scope_calls(scope: Scope):
    """SELECT call_id, started of the scope's calls, from the party index alone (None: every call).

    A narrow list drives from this (store/history.py): the party index holds
    `started`, so the newest of a department's calls are known before any `calls`
    row is read.
    """
    stmt = _party_calls(scope)
    return stmt.add_columns(call_parties.c.started) if stmt is not None else None


def _party_calls(scope: Scope, start=None, end=None):
    """SELECT call_id of the scope's calls from the party index; None for the whole company."""
    if scope.kind == DEPARTMENTS:
        return calls_of(scope.departments, scope.logins, start, end)
    if scope.kind == MINE:
        return calls_of_employee(scope.viewer, start, end)
    if scope.kind == COMPANY:
        return None
    raise ValueError(f"unknown scope kind {scope.kind!r}")


def scope_clause(scope: Scope, c=calls, start=None, end=None, parties: bool = True) -> ColumnElement:
    """The WHERE condition for the calls (table or alias `c`) that `scope` may see.

    `start` / `end` only narrow the party subquery (an index range instead of all
    of a department's calls ever); the caller still limits `c.started` itself.
    `parties=False` leaves the party condition out, for a query already joined to
    `scope_calls(scope)`.
    """
    conditions = []
    if not scope.internal:
        conditions.append(c.c.direction != "internal")
    ids = _party_calls(scope, start, end)
    if ids is not None and parties:
        conditions.append(c.c.id.in_(ids))
    return and_(true(), *conditions)


def party_clause(scope: Scope, p=call_parties) -> ColumnElement:
    """The parties whose statistics `scope` shows (their rows still need the call in scope)."""
    if scope.kind == COMPANY:
        return true()
    if scope.kind == DEPARTMENTS:
        return p.c.party.in_(department_parties(scope.departments) + employee_parties(scope.logins))
    return p.c.party == EMPLOYEE + scope.viewer
