"""Fixtures: every store test runs on SQLite and on the PostgreSQL at 127.0.0.1:5432.

On PostgreSQL each test gets a schema of its own (dropped afterwards), so parallel
runs on one server do not collide. Without a reachable server the PostgreSQL cases
skip, saying why; in CI (CALLROUTER_REQUIRE_POSTGRES=1) they fail instead.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import uuid

import shutil
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from store.database import Store
from store.metrics import RecordMetrics
from store.tables import metadata

PG_CANDIDATES = ("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                 "postgresql+psycopg://root@127.0.0.1:5432/test")
T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.timezone.utc)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@functools.lru_cache(maxsize=1)
def postgres_base() -> tuple[URL | None, str]:
    """The first PostgreSQL URL that accepts a connection, or None and why not."""
    candidates = [os.environ["CALLROUTER_TEST_POSTGRES_URL"]] if os.environ.get("CALLROUTER_TEST_POSTGRES_URL") \
        else PG_CANDIDATES
    errors = []
    for candidate in candidates:
        url = make_url(candidate)
        try:
            psycopg.connect(_libpq(url), connect_timeout=3).close()
            return url, ""
        except psycopg.Error as exc:
            errors.append(f"{url.username}@{url.host}:{url.port}: {str(exc).strip().splitlines()[0]}")
    return None, "PostgreSQL unreachable (" + "; ".join(errors) + ")"


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgres() -> URL:
    base, reason = postgres_base()
    if base is None:
        if os.environ.get("CALLROUTER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}; CALLROUTER_REQUIRE_POSTGRES=1 demands it")
        pytest.skip(f"{reason}; set CALLROUTER_TEST_POSTGRES_URL or start PostgreSQL to run these cases")
    return base


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def _create_schema(base: URL) -> tuple[str, str]:
    schema = f"callrouter_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return schema, url


def _drop_schema(base: URL, schema: str) -> None:
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store_url(backend, tmp_path):
    """A URL to an empty database of the current backend, for tests of schemas and outages."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/store.sqlite3"
        return
    base = require_postgres()
    schema, url = _create_schema(base)
    try:
        yield url
    finally:
        _drop_schema(base, schema)


def open_store(url, **kwargs) -> Store:
    """A store with short timeouts, and cheap argon2 settings: hashing is not what these tests time."""
    kwargs.setdefault("busy_timeout", 0.05)
    return Store.open(url, connect_timeout=2, hasher=FAST_HASHER, **kwargs)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file at the newest revision, copied by each test (migrating costs more than copying)."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite3"
    template = open_store(f"sqlite:///{path}")
    template.upgrade()
    template.close()
    return path


@pytest.fixture(scope="session")
def migrated_postgres():
    """One migrated schema for the session; each test starts from emptied tables."""
    base = require_postgres()
    schema, url = _create_schema(base)
    template = open_store(url)
    template.upgrade()
    template.close()
    yield url
    _drop_schema(base, schema)


@pytest.fixture
def store(backend, tmp_path, request):
    """An empty store at the newest schema."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/store.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "store.sqlite3")
    else:
        url = request.getfixturevalue("migrated_postgres")
    s = open_store(url)
    if backend == "postgresql":
        with s.engine.begin() as conn:
            _empty_tables(conn)
    yield s
    s.close()


def _empty_tables(conn) -> None:
    """Every table emptied and its ids started again, as TRUNCATE … RESTART IDENTITY would:
    on tables of a few rows DELETE takes ~7 ms where TRUNCATE takes ~70 (hundreds of tests)."""
    for table in reversed(metadata.sorted_tables):          # children before their parents
        conn.execute(table.delete())
    sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                  "WHERE sequence_schema = current_schema()")).scalars().all()
    for sequence in sequences:
        conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def metrics() -> RecordMetrics:
    """The record writer's metrics, in a registry of the test's own."""
    return RecordMetrics()


def metric(metrics: RecordMetrics, name: str) -> float:
    return metrics.registry.get_sample_value(name) or 0.0


@pytest.fixture
def flaky(backend, store_url):
    """The database of the current backend with `down()` / `up()`; `.url` goes through it."""
    from tests.store.outage import FlakyPostgres, LockedSqlite
    database = LockedSqlite(store_url) if backend == "sqlite" else FlakyPostgres(store_url)
    yield database
    database.close()


@pytest.fixture
def smtp_server():
    from tests.store.smtpserver import Inbox, SmtpServer
    server = SmtpServer(Inbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def unused_port():
    """A loopback port that refuses connections, held for the test (tests/ports.py)."""
    from tests.ports import refused_port
    with refused_port() as port:
        yield port
