"""The few statements that differ between SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn, table: Table):
    """An INSERT that supports `on_conflict_do_nothing/do_update` on this connection's database."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")
