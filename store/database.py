"""`Store`: the one object that talks to the database.

Every method is one short transaction. Nothing here is meant for the per-call
path: the daemon reaches the database through `RecordWriter` (call records) and
`StoreState` (overrides, rotation), which never block a call.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from config.snapshot import Snapshot
from store import calls, credentials as creds, directory, migrate, runtime
from store.calls import HistoryQuery
from store.credentials import Credentials
from store.engine import WRITE, make_engine
from store.records import CallRecord
from store.runtime import OverrideState
from store.tables import credentials as credentials_table
from store.url import describe, is_sqlite, resolve_url

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Store:
    def __init__(self, engine: Engine, *, config_file: Optional[str] = None, clock: Clock = utc_now,
                 hasher: PasswordHasher = creds.DEFAULT_HASHER):
        self.engine = engine
        self.config_file = config_file
        self.clock = clock
        self.hasher = hasher

    @classmethod
    def open(cls, url: str, config_dir: str | Path = ".", *, config_file: Optional[str] = None,
             busy_timeout: float = 1.0, connect_timeout: int = 5, clock: Clock = utc_now,
             hasher: PasswordHasher = creds.DEFAULT_HASHER) -> "Store":
        """Open (lazily: no connection yet) the database at `url`.

        A relative SQLite path is resolved against `config_dir`, the directory of the
        config file; `config_file` only appears in messages telling what to run.
        """
        engine = make_engine(resolve_url(url, config_dir), busy_timeout=busy_timeout,
                             connect_timeout=connect_timeout)
        return cls(engine, config_file=config_file, clock=clock, hasher=hasher)

    @classmethod
    def for_snapshot(cls, snapshot: Snapshot, **kwargs) -> "Store":
        """The store named by a loaded config file (`store.url`, relative to the file)."""
        source = Path(snapshot.source)
        return cls.open(snapshot.file.store.url, source.parent, config_file=str(source), **kwargs)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine.url)

    def describe(self) -> str:
        return describe(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # ----------------------------------------------------------------- schema

    @property
    def upgrade_command(self) -> str:
        return f"callrouter db upgrade -c {self.config_file or 'FILE'}"

    def schema_revision(self) -> Optional[str]:
        return migrate.current_revision(self.engine)

    def check_schema(self) -> None:
        """Raise `SchemaError` (saying what to run) unless the schema is this version's."""
        migrate.check(self.engine, self.upgrade_command)

    def upgrade(self, revision: str = "head") -> None:
        migrate.upgrade(self.engine, revision)

    def ensure_schema(self, auto_upgrade: Optional[bool] = None) -> None:
        """What `callrouter run` does at start.

        By default a SQLite store is created or upgraded in place (a fresh install
        needs no step; the file belongs to this host), while a PostgreSQL one is only
        checked: several daemons share it, and the admin upgrades it once, with
        `callrouter db upgrade`, when every node runs the new version.
        """
        automatic = self.is_sqlite if auto_upgrade is None else auto_upgrade
        if automatic and migrate.needs_upgrade(self.engine):
            self.upgrade()
        self.check_schema()

    # ----------------------------------------------------------------- directory

    def sync_directory(self, snapshot: Snapshot, previous: Optional[Snapshot] = None) -> directory.SyncResult:
        """Mirror the snapshot's employees and departments (call after every load); with
        `previous`, the snapshot last synced, only the entries that changed since."""
        with self._write() as conn:
            result = directory.sync(conn, snapshot, self.clock(), previous)
        if result != directory.SyncResult():
            log.info("directory synced: %d added, %d updated, %d deactivated",
                     result.added, result.updated, result.deactivated)
        return result

    def stored_extensions(self, logins: set[str]) -> dict[str, str]:
        """login -> extension from the mirrored directory, for those of `logins` it holds
        (employees since removed from the file included)."""
        with self._read() as conn:
            return directory.extensions_of(conn, logins)

    # ----------------------------------------------------------------- credentials

    def set_password(self, login: str, password: str, domain: str) -> None:
        """Keep the password's hashes (argon2 and the SIP A1 for `domain`), never the password."""
        self.set_hashes(login, creds.http_hash(password, self.hasher), creds.sip_a1(login, domain, password), domain)

    def set_hashes(self, login: str, password_hash: str, sip_a1: str, domain: str) -> None:
        """`set_password` with the hashes made beforehand: the web process makes the argon2
        hash off its event loop, then writes here."""
        row = {"login": login, "password_hash": password_hash, "sip_a1": sip_a1, "sip_domain": domain,
               "updated_at": self.clock()}
        with self._write() as conn:
            conn.execute(delete(credentials_table).where(credentials_table.c.login == login))
            conn.execute(credentials_table.insert().values(row))
        log.info("credentials of %s set for SIP domain %s", login, domain)

    def credentials_for(self, login: str) -> Optional[Credentials]:
        with self._read() as conn:
            row = conn.execute(select(credentials_table).where(credentials_table.c.login == login)).mappings().first()
        return Credentials(**row) if row else None

    def all_credentials(self) -> dict[str, Credentials]:
        with self._read() as conn:
            return {row["login"]: Credentials(**row) for row in conn.execute(select(credentials_table)).mappings()}

    def stale_credentials(self, domain: str) -> dict[str, Credentials]:
        """Credentials made for another SIP domain (see `credentials.domain_change_warning`)."""
        return {login: c for login, c in self.all_credentials().items() if not c.usable_for(domain)}

    def a1_for(self, login: str, domain: str) -> Optional[str]:
        """The SIP A1 hash for the directory; None when unset or made for another domain.

        An A1 made before `company.domain` changed cannot match what the phone sends:
        serving it would only produce failed registrations, so it is refused with a
        warning saying what to run.
        """
        found = self.credentials_for(login)
        if found is None:
            return None
        if not found.usable_for(domain):
            log.warning("SIP password of %s was set for domain %s, not %s: run `callrouter employee passwd %s`",
                        login, found.sip_domain, domain, login)
            return None
        return found.sip_a1

    def verify_password(self, login: str, password: str) -> bool:
        """HTTP login check against the argon2 hash."""
        found = self.credentials_for(login)
        return found is not None and creds.verify_http(found.password_hash, password, self.hasher)

    # ----------------------------------------------------------------- runtime state

    def set_override(self, login: str, kind: str, on: bool) -> None:
        """Turn `forward_to_mobile` or `dnd` on or off for `login` (every node sees it within ~1 s)."""
        with self._write() as conn:
            runtime.set_override(conn, login, kind, on, self.clock())

    def overrides(self) -> dict[str, OverrideState]:
        """Logins with at least one override on."""
        with self._read() as conn:
            return runtime.read_overrides(conn)

    def advance_round_robin(self, department: str, steps: int = 1) -> None:
        with self._write() as conn:
            runtime.advance_round_robin(conn, department, steps, self.clock())

    def record_answered(self, login: str, department: Optional[str], ended_at: dt.datetime) -> None:
        with self._write() as conn:
            runtime.record_answered(conn, login, department, ended_at)

    def round_robin(self) -> dict[str, int]:
        with self._read() as conn:
            return runtime.read_round_robin(conn)

    def last_answered(self) -> dict[str, dt.datetime]:
        with self._read() as conn:
            return runtime.read_last_answered(conn)

    def read_runtime(self) -> runtime.RuntimeState:
        """Overrides and rotation in one read (what `StoreState` refreshes from)."""
        with self._read() as conn:
            return runtime.read_state(conn)

    def apply_runtime(self, changes: runtime.RuntimeChanges) -> None:
        """Write a batch of `StoreState` changes in one transaction."""
        with self._write() as conn:
            runtime.apply_changes(conn, changes, self.clock())

    # ----------------------------------------------------------------- call records

    def write_records(self, records: Sequence[CallRecord]) -> list[str]:
        """Write a batch in one transaction; returns the UUIDs new to the database."""
        with self._write() as conn:
            return calls.insert_records(conn, records)

    def history(self, query: HistoryQuery = HistoryQuery()) -> list[CallRecord]:
        with self._read() as conn:
            return calls.history(conn, query)
