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
A server or network that drops packets refuses nothing and answers nothing, so
every wait needs a bound of its own: the server ends a statement after
`statement_timeout`; TCP keepalives find a dead link while a pooled connection is
idle, and `tcp_user_timeout` while data sent is not acknowledged. Those are libpq
parameters and work on a real network; the callers add a bound on the whole call
(store/writer.py, the directory lookup) for what they cannot see, e.g. a proxy
that accepts bytes and never forwards them.

The SQLite file holds every employee's SIP hash (as good as the password for SIP
digest): it is created owner-only (0600), as the spool is, and one found readable
by others is tightened with a warning. SQLite gives its -wal and -shm files the
database file's mode when it creates them; existing ones are tightened too.

Both hide statement parameters from errors and logs (`hide_parameters`): a failed
directory sync would otherwise print every employee's name, email and mobile.
"""
from __future__ import annotations

import logging
import os
import stat

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine

from store.url import ensure_parent_dir, is_sqlite

log = logging.getLogger(__name__)

WRITE = "callrouter_write"          # execution option marking a write transaction
OWNER_ONLY = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
# PostgreSQL: the daemon's statements are small; one running 10 s means something is wrong.
STATEMENT_TIMEOUT_MS = 10_000
KEEPALIVES = {"keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}    # dead after ~25 s idle
TCP_USER_TIMEOUT_MS = 15_000        # unacknowledged data for this long: the connection is dead


def make_engine(url: URL, *, busy_timeout: float = 1.0, connect_timeout: int = 5) -> Engine:
    if is_sqlite(url):
        ensure_parent_dir(url)
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            secure_sqlite_file(url.database)
        return _sqlite_engine(url, busy_timeout)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported store URL {url.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args=postgres_connect_args(url, connect_timeout), hide_parameters=True)


def postgres_connect_args(url: URL, connect_timeout: int) -> dict:
    """libpq parameters bounding every wait on the server (module docstring); the URL's own
    `options` (e.g. a search_path) are kept, since connect_args replace the URL's query."""
    options = url.query.get("options", "")
    if not isinstance(options, str):
        options = " ".join(options)
    options = f"{options} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()
    return {"connect_timeout": connect_timeout, "options": options, "keepalives": 1, **KEEPALIVES,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS}


def without_statement_timeout(conn) -> None:
    """Lift `statement_timeout` for the rest of `conn`'s transaction (PostgreSQL; nothing on
    SQLite): for an admin's bulk work, such as a revision's backfill over a year of calls,
    which the daemon's 10 s bound on its own statements would abort half way."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")


def secure_sqlite_file(path: str) -> None:
    """Create the database file owner-only, or take group and world access off an existing one."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY))
    except OSError:
        return                      # unreadable or read-only: SQLite's own error will say so
    for name in (path + suffix for suffix in SQLITE_COMPANIONS):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                os.chmod(name, mode & 0o700)
            except OSError as exc:
                log.warning("%s is readable by others (mode %04o) and cannot be tightened: %s", name, mode, exc)
                continue
            log.warning("%s was readable by others (mode %04o): now %04o, it holds SIP password hashes",
                        name, mode, mode & 0o700)


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
