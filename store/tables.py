"""The database schema (SQLAlchemy Core tables); Alembic migrations build the same.

`tests/store/test_migrations.py` compares these tables with the migrated database,
so a change here without a new revision in `store/migrations/versions/` fails.

Logins and department names are the natural keys: they are what the config file,
FreeSWITCH and the call records use. Runtime tables (credentials, overrides,
rotation) carry no foreign keys to `employees`, so a write from the call path never
fails because a directory sync has not run yet.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.sql.expression import false, text
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# The config refuses longer values (config.limits): what `check` passes always fits.
from config.limits import EMAIL, EXTENSION, LOGIN, NAME  # noqa: E402


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are stored as
    naive UTC and get their tzinfo back when read. Naive input is refused: a local
    time stored as UTC would shift every record silently.
    """
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


# SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

departments = Table(
    "departments", metadata,
    Column("name", String(NAME), primary_key=True),
    Column("extension", String(EXTENSION), nullable=False),
    Column("strategy", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

employees = Table(
    "employees", metadata,
    Column("login", String(LOGIN), primary_key=True),
    Column("name", String(NAME), nullable=False),
    Column("extension", String(EXTENSION), nullable=False),
    Column("department", String(NAME)),
    Column("role", String(20), nullable=False),
    Column("position", String(NAME), nullable=False, default=""),
    Column("email", String(EMAIL)),
    Column("mobile", String(20)),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

credentials = Table(
    "credentials", metadata,
    Column("login", String(LOGIN), primary_key=True),
    Column("password_hash", String(200), nullable=False),       # argon2, for HTTP login
    Column("sip_a1", String(32), nullable=False),               # md5(login:domain:password)
    Column("sip_domain", String(253), nullable=False),          # the domain the A1 was made for
    Column("updated_at", UTCDateTime, nullable=False),
)

overrides = Table(
    "overrides", metadata,
    Column("login", String(LOGIN), primary_key=True),
    Column("forward_to_mobile", Boolean, nullable=False, default=False),
    Column("dnd", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

rotation = Table(
    "rotation", metadata,
    Column("department", String(NAME), primary_key=True),
    Column("next_start", BigInteger, nullable=False, default=0),   # grows forever; routing takes it modulo
    Column("updated_at", UTCDateTime, nullable=False),
)

member_idle = Table(
    "member_idle", metadata,
    Column("login", String(LOGIN), primary_key=True),
    Column("last_answered", UTCDateTime, nullable=False),           # end of the last answered call
    Column("department", String(NAME)),                              # the department it came through, if any
)

calls = Table(
    "calls", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),      # write order
    Column("uuid", String(64), nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("answered", UTCDateTime),
    Column("ended", UTCDateTime),
    Column("caller", String(64), nullable=False, default=""),
    Column("caller_name", String(NAME), nullable=False, default=""),
    Column("called", String(64), nullable=False, default=""),
    Column("direction", String(10), nullable=False),
    Column("target", String(LOGIN + NAME), nullable=False, default=""),
    Column("reason", String(40), nullable=False, default=""),
    Column("outcome", String(20), nullable=False, default=""),
    Column("answered_by", String(LOGIN), nullable=False, default=""),
    Column("hangup_cause", String(64), nullable=False, default=""),
    Column("recording", String(1024)),
    Column("node", String(100), nullable=False, default="", server_default=""),   # revision 0002
    UniqueConstraint("uuid"),
    Index(None, "started"),
    Index(None, "target"),
    Index(None, "answered_by"),
)

call_steps = Table(
    "call_steps", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("call_id", BigId, ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("target", String(LOGIN + NAME), nullable=False, default=""),
    Column("reason", String(40), nullable=False, default=""),
    Column("started", UTCDateTime),
    Column("ended", UTCDateTime),
    Column("disposition", String(64), nullable=False, default=""),
    Column("answered_by", String(LOGIN), nullable=False, default=""),
    UniqueConstraint("call_id", "seq"),
)

call_legs = Table(
    "call_legs", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("step_id", BigId, ForeignKey("call_steps.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("device", String(10), nullable=False),
    Column("login", String(LOGIN), nullable=False),
    Column("dial", Text, nullable=False, default=""),
    Column("delay", Integer, nullable=False, default=0),
    Column("timeout", Integer, nullable=False, default=0),
    UniqueConstraint("step_id", "seq"),
)

# --------------------------------------------------------------------------- callrouter web (revision 0003)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),             # sha256 of the cookie's token, never the token
    Column("login", String(LOGIN), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Index(None, "login"),
    Index(None, "last_seen"),
)

signin_log = Table(
    "signin_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("login", String(LOGIN), nullable=False),                  # as typed (login or extension)
    Column("employee", String(LOGIN), nullable=False, default=""),   # whom it named, when anyone
    Column("address", String(64), nullable=False, default=""),
    Column("outcome", String(20), nullable=False),                   # ok | wrong_password | throttled | inactive
    Index(None, "at"),
)

signin_throttle = Table(
    "signin_throttle", metadata,
    Column("key", String(100), primary_key=True),                   # login:NAME | address:IP
    Column("failures", Integer, nullable=False),
    Column("blocked_until", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "updated_at"),
)

# --------------------------------------------------------------------------- history (revision 0004)
# What «Личный кабинет» asks of call records, worked out once when a record is
# written (store/history_facts.py) so that 1,000,000 calls answer in milliseconds:
# on `calls`, the caller's login, number keys for search, the outcome as people read
# it, wait and talk seconds; and `call_parties`, one row per employee or department a
# call concerns, which the scope rule (store/scope.py) and the statistics read.

calls.append_column(Column("caller_login", String(LOGIN), nullable=False, default="", server_default=""))
calls.append_column(Column("caller_key", String(32), nullable=False, default="", server_default=""))
calls.append_column(Column("called_key", String(32), nullable=False, default="", server_default=""))
calls.append_column(Column("result", String(20), nullable=False, default="", server_default=""))
calls.append_column(Column("wait", Integer, nullable=False, default=0, server_default="0"))
calls.append_column(Column("talk", Integer, nullable=False, default=0, server_default="0"))
# A missed external call someone later called back (a call out to the number, or an
# answered call from it): store/callbacks.py keeps it, the statistics read it.
calls.append_column(Column("called_back", Boolean, nullable=False, default=False, server_default=false()))
Index("ix_calls_started_id", calls.c.started, calls.c.id)
Index(None, calls.c.caller_key)
Index(None, calls.c.called_key)
# Missed external calls nobody called back yet (store/callbacks.py): what "not called
# back" reads for a month of the whole company, a few thousand rows instead of 90,000.
# A query uses a partial index only when its WHERE repeats the index's literally.
_UNCALLED = "called_back = {false} AND direction = 'inbound' AND caller_key != '' " \
            "AND result IN ('missed', 'voicemail', 'busy', 'abandoned')"
UNCALLED_WHERE = {"sqlite": _UNCALLED.format(false="0"), "postgresql": _UNCALLED.format(false="false")}
Index("ix_calls_uncalled", calls.c.started, calls.c.caller_key,
      sqlite_where=text(UNCALLED_WHERE["sqlite"]), postgresql_where=text(UNCALLED_WHERE["postgresql"]))

PARTY = 2 + NAME + LOGIN

call_parties = Table(
    "call_parties", metadata,
    Column("call_id", BigId, ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("party", String(PARTY), primary_key=True),          # e:LOGIN | d:DEPARTMENT
    Column("started", UTCDateTime, nullable=False),            # the call's, for ranges without a join
    Column("external", Boolean, nullable=False),
    Column("rung_only", Boolean, nullable=False),              # e: only rang, for someone else's step
    Column("answered", Boolean, nullable=False),               # a conversation for this party
    Column("missed", Boolean, nullable=False),                 # received here, no conversation
    Column("wait", Integer, nullable=False),
    Column("talk", Integer, nullable=False),
    Index(None, "party", "started", "call_id", "rung_only"),    # covers a scope's list: no table read
    Index(None, "started"),
)


# Statistics rolled up when records are written (store/rollups.py), so a month of a
# whole company is a few thousand rows, not a million: per UTC hour (calls only),
# day and month; `party` is "*" for the calls themselves, else an e:/d: party.
WAIT_BUCKETS = 16           # store.rollups.WAIT_EDGES has 15 edges

call_rollups = Table(
    "call_rollups", metadata,
    Column("level", String(1), primary_key=True),                # h | d | m
    Column("period", UTCDateTime, primary_key=True),             # the hour, day or month's start (UTC)
    Column("party", String(PARTY), primary_key=True),
    Column("external", Boolean, primary_key=True),
    Column("received", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("wait_sum", BigInteger, nullable=False),
    Column("talk_sum", BigInteger, nullable=False),
    *(Column(f"w{i}", Integer, nullable=False) for i in range(WAIT_BUCKETS)),
)


# --------------------------------------------------------------------------- call recordings (revision 0006)
# `calls.recording` (revision 0001) holds the file's path relative to `recordings.dir`
# ({yyyy}/{mm}/{dd}/{uuid}.wav), never an absolute one: the web process resolves it
# under its own configured directory. `recording_state`: "" (not recorded), ok,
# failed (FreeSWITCH could not write it), empty (no audio), pruned (deleted after its
# retention; the call record stays); `recording_expires` is when prune may delete it.

calls.append_column(Column("recording_state", String(10), nullable=False, default="", server_default=""))
calls.append_column(Column("recording_ms", Integer, nullable=False, default=0, server_default="0"))
calls.append_column(Column("recording_expires", UTCDateTime))
Index(None, calls.c.recording_expires)

recording_access = Table(
    "recording_access", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("login", String(LOGIN), nullable=False),                  # who listened or downloaded
    Column("call_uuid", String(64), nullable=False),
    Column("action", String(10), nullable=False),                    # listen | download
    Column("address", String(64), nullable=False, default=""),
    Index(None, "at"),
    Index(None, "call_uuid"),
)


# --------------------------------------------------------------------------- password recovery (revision 0005)
# One row per «Забыли пароль?» request. The browser keeps a random token; the row is
# found by its SHA-256 and the code the page shows is derived from the token, so the
# table holds neither (daemon/web/recovery.py). Codes are stored as scrypt hashes.

recovery_requests = Table(
    "recovery_requests", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("login", String(LOGIN), nullable=False, default=""),   # "" when the login named nobody with a mobile
    Column("typed", String(LOGIN), nullable=False, default=""),
    Column("address", String(64), nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime, nullable=False),
    Column("code_hash", String(200), nullable=False),                # the code keyed on the call
    Column("sms_hash", String(200), nullable=False, default=""),     # the code sent by SMS, when one was
    Column("attempts", Integer, nullable=False, default=0),
    Column("state", String(20), nullable=False),                     # see store/recovery.py STATES
    Column("call_uuid", String(64), nullable=False, default=""),
    Column("verified", UTCDateTime, nullable=True),
    Column("used", UTCDateTime, nullable=True),
    Index(None, "login", "created"),
    Index(None, "expires"),
)
