"""Alembic environment: run by `store.migrate` with a connection passed in code.

`callrouter db upgrade` builds the Alembic Config itself (no alembic.ini needed at
run time) and hands over an open connection in `config.attributes["connection"]`.
The bundled alembic.ini serves developers writing new revisions with the
`alembic` command; it reads the URL from `sqlalchemy.url` or $CALLROUTER_DB_URL.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from store.tables import metadata


def _configure(**kwargs) -> None:
    context.configure(target_metadata=metadata, compare_type=True, **kwargs)


def run_offline() -> None:
    """`alembic upgrade --sql`: print the SQL instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things: later revisions rebuild tables in batch mode.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return os.environ.get("CALLROUTER_DB_URL") or context.config.get_main_option("sqlalchemy.url")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
