"""Mirror of the config's employees and departments, refreshed on every (re)load.

Rows are upserted and never deleted: call records name people who may since have
left, so a removed employee or department is marked inactive instead.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from config.snapshot import Snapshot
from store import dialect
from store.tables import departments, employees


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    deactivated: int = 0


def sync(conn: Connection, snapshot: Snapshot, now: dt.datetime) -> SyncResult:
    a = _sync_table(conn, employees, "login", {e.login: _employee_row(e) for e in snapshot.file.employees}, now)
    b = _sync_table(conn, departments, "name", {d.name: _department_row(d) for d in snapshot.file.departments}, now)
    return SyncResult(a.added + b.added, a.updated + b.updated, a.deactivated + b.deactivated)


def _employee_row(e) -> dict:
    return {"name": e.name, "extension": e.extension, "department": e.department, "role": e.role,
            "position": e.position, "email": e.email, "mobile": e.mobile, "active": True}


def _department_row(d) -> dict:
    return {"extension": d.extension, "strategy": d.strategy, "active": True}


def _sync_table(conn: Connection, table, key: str, wanted: dict[str, dict], now: dt.datetime) -> SyncResult:
    """Insert new rows, update changed ones, deactivate missing ones; touch nothing else."""
    columns = [c for c in table.c if c.name not in (key, "updated_at")]
    existing = {row[0]: dict(row._mapping) for row in conn.execute(select(table.c[key], *columns))}
    new = [{key: k, **row, "updated_at": now} for k, row in wanted.items() if k not in existing]
    changed = [{key: k, **row, "updated_at": now} for k, row in wanted.items()
               if k in existing and _differs(existing[k], row)]
    gone = [{key: k, "active": False, "updated_at": now} for k, row in existing.items()
            if k not in wanted and row["active"]]
    if new:
        # Another node syncing the same file at the same moment may insert first.
        conn.execute(dialect.insert(conn, table).on_conflict_do_nothing(index_elements=[key]), new)
    for batch in (changed, gone):
        if batch:
            _update_many(conn, table, key, batch)
    return SyncResult(len(new), len(changed), len(gone))


def _update_many(conn: Connection, table, key: str, rows: list[dict]) -> None:
    """One executemany UPDATE keyed on `key` (bind names prefixed: SQLAlchemy reserves column names)."""
    names = [name for name in rows[0] if name != key]
    stmt = update(table).where(table.c[key] == bindparam("k_" + key)).values(
        {name: bindparam("k_" + name) for name in names})
    conn.execute(stmt, [{"k_" + name: value for name, value in row.items()} for row in rows])


def _differs(stored: dict, wanted: dict) -> bool:
    return any(stored.get(name) != value for name, value in wanted.items())
