"""Engines for the two supported databases, with their quirks handled in one place.

SQLite: WAL so readers (history, the state refresher) never block the record
writer; foreign keys on; a short busy timeout, since a gevent daemon stalls while
SQLite waits for a lock. pysqlite's own transaction handling is switched off
(it opens transactions late and never for DDL) and SQLAlchemy emits BEGIN itself:
`BEGIN IMMEDIATE` for writes, so a read-then-write transaction takes the write
lock up front instead of failing on a lock upgrade.

PostgreSQL (psycopg 3, which yields to gevent once the daemon has monkey-patched):
connections are checked before use (pool_pre_ping) so a restarted server costs
one failed ping, not a failed write; connecting gives up after `connect_timeout`.

Both hide statement parameters from errors and logs (`hide_parameters`): a failed
directory sync would otherwise print every employee's name, email and mobile.
"""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine

from store.url import ensure_parent_dir, is_sqlite

WRITE = "callrouter_write"          # execution option marking a write transaction


def make_engine(url: URL, *, busy_timeout: float = 1.0, connect_timeout: int = 5) -> Engine:
    if is_sqlite(url):
        ensure_parent_dir(url)
        return _sqlite_engine(url, busy_timeout)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported store URL {url.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"connect_timeout": connect_timeout}, hide_parameters=True)


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    # check_same_thread off: the daemon runs SQLite calls in gevent's native thread
    # pool (store/offhub.py), so a pooled connection may serve several threads in turn.
    engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None           # SQLAlchemy's "begin" below takes over
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine
