"""What `callrouter web` keeps in the store: sessions, the sign-in audit log, throttling.

Several web processes may serve one company behind a balancer, so all of it lives
in the database, not in a process. A session is found by the SHA-256 of its
cookie's token: the table never holds a token that would let someone who reads
it sign in. Throttle counters are upserts that add to what other processes wrote.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.engine import Connection

from store import dialect
from store.tables import overrides, signin_log, signin_throttle, web_sessions

OUTCOMES = ("ok", "wrong_password", "throttled", "inactive")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class WebSession:
    token_hash: str
    login: str
    csrf_token: str
    created: dt.datetime
    last_seen: dt.datetime
    address: str


@dataclass(frozen=True)
class SignIn:
    id: int
    at: dt.datetime
    login: str
    employee: str
    address: str
    outcome: str


# --------------------------------------------------------------------------- sessions

def create_session(conn: Connection, login: str, address: str, now: dt.datetime) -> tuple[str, WebSession]:
    """A new session; returns the token for the cookie (kept nowhere else) and the session."""
    token = secrets.token_urlsafe(32)
    session = WebSession(token_hash(token), login, secrets.token_urlsafe(32), now, now, address[:64])
    conn.execute(web_sessions.insert().values(session.__dict__))
    return token, session


def find_session(conn: Connection, token: str) -> Optional[WebSession]:
    row = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == token_hash(token))).mappings().first()
    return WebSession(**row) if row else None


def touch_session(conn: Connection, hashed: str, now: dt.datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.token_hash == hashed).values(last_seen=now))


def end_session(conn: Connection, hashed: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == hashed))


def end_sessions_of(conn: Connection, login: str, keep: str = "") -> int:
    """End every session of `login` but the one with hash `keep`; returns how many ended."""
    return conn.execute(delete(web_sessions).where(
        and_(web_sessions.c.login == login, web_sessions.c.token_hash != keep))).rowcount


def end_idle_sessions(conn: Connection, seen_before: dt.datetime) -> int:
    return conn.execute(delete(web_sessions).where(web_sessions.c.last_seen < seen_before)).rowcount


# --------------------------------------------------------------------------- audit log

def log_signin(conn: Connection, at: dt.datetime, login: str, employee: str, address: str, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown sign-in outcome {outcome!r}")
    conn.execute(signin_log.insert().values(at=at, login=login[:64], employee=employee, address=address[:64],
                                            outcome=outcome))


def signins(conn: Connection, limit: int = 100, before_id: Optional[int] = None) -> list[SignIn]:
    """The newest sign-ins first; `before_id` pages on."""
    stmt = select(signin_log).order_by(signin_log.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(signin_log.c.id < before_id)
    return [SignIn(**row) for row in conn.execute(stmt).mappings()]


# --------------------------------------------------------------------------- throttling

def blocked_until(conn: Connection, keys: Sequence[str], now: dt.datetime) -> Optional[dt.datetime]:
    """The latest time any of `keys` is blocked until, when later than `now`."""
    latest = conn.execute(select(func.max(signin_throttle.c.blocked_until)).where(
        signin_throttle.c.key.in_(list(keys)), signin_throttle.c.blocked_until > now)).scalar()
    if latest is not None and latest.tzinfo is None:         # max() over SQLite loses the column type
        latest = dt.datetime.fromisoformat(str(latest)).replace(tzinfo=dt.timezone.utc)
    return latest


def count_failure(conn: Connection, key: str, now: dt.datetime, forgotten_before: dt.datetime) -> int:
    """Add one failure to `key` (a counter idle since `forgotten_before` starts again); returns the count."""
    stmt = dialect.insert(conn, signin_throttle).values(key=key, failures=1, blocked_until=now, updated_at=now)
    stale = signin_throttle.c.updated_at < forgotten_before
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={
        "failures": case((stale, 1), else_=signin_throttle.c.failures + 1),
        "updated_at": now}))
    return conn.execute(select(signin_throttle.c.failures).where(signin_throttle.c.key == key)).scalar_one()


def block(conn: Connection, key: str, until: dt.datetime) -> None:
    conn.execute(update(signin_throttle).where(signin_throttle.c.key == key).values(blocked_until=until))


def _count_and_block(conn: Connection, key: str, now: dt.datetime, forgotten_before: dt.datetime,
                     delay: Callable[[int], float]) -> float:
    """Count a failure of `key` and block it for `delay(failures)` seconds; returns that delay."""
    seconds = delay(count_failure(conn, key, now, forgotten_before))
    if seconds > 0:
        block(conn, key, now + dt.timedelta(seconds=seconds))
    return seconds


def clear_failures(conn: Connection, key: str) -> None:
    conn.execute(delete(signin_throttle).where(signin_throttle.c.key == key))


def forget_failures(conn: Connection, forgotten_before: dt.datetime, now: dt.datetime) -> int:
    """Drop counters idle since `forgotten_before` and no longer blocking."""
    return conn.execute(delete(signin_throttle).where(and_(
        signin_throttle.c.updated_at < forgotten_before, signin_throttle.c.blocked_until <= now))).rowcount


class WebStore:
    """The functions above, each in its own short transaction on a `Store`'s database."""

    def __init__(self, store):
        self.store = store

    def create_session(self, login: str, address: str, now: dt.datetime) -> tuple[str, WebSession]:
        with self.store._write() as conn:
            return create_session(conn, login, address, now)

    def find_session(self, token: str) -> Optional[WebSession]:
        with self.store._read() as conn:
            return find_session(conn, token)

    def touch_session(self, hashed: str, now: dt.datetime) -> None:
        with self.store._write() as conn:
            touch_session(conn, hashed, now)

    def end_session(self, hashed: str) -> None:
        with self.store._write() as conn:
            end_session(conn, hashed)

    def end_sessions_of(self, login: str, keep: str = "") -> int:
        with self.store._write() as conn:
            return end_sessions_of(conn, login, keep)

    def end_idle_sessions(self, seen_before: dt.datetime) -> int:
        with self.store._write() as conn:
            return end_idle_sessions(conn, seen_before)

    def log_signin(self, at: dt.datetime, login: str, employee: str, address: str, outcome: str) -> None:
        with self.store._write() as conn:
            log_signin(conn, at, login, employee, address, outcome)

    def signins(self, limit: int = 100, before_id: Optional[int] = None) -> list[SignIn]:
        with self.store._read() as conn:
            return signins(conn, limit, before_id)

    def blocked_until(self, keys: Sequence[str], now: dt.datetime) -> Optional[dt.datetime]:
        with self.store._read() as conn:
            return blocked_until(conn, keys, now)

    def count_failure(self, key: str, now: dt.datetime, forgotten_before: dt.datetime,
                      delay: Callable[[int], float]) -> float:
        """Count a failure and block the key for `delay(failures)` seconds; returns that delay."""
        with self.store._write() as conn:
            seconds = _count_and_block(conn, key, now, forgotten_before, delay)
            forget_failures(conn, forgotten_before, now)
            return seconds

    def forward_to_mobile(self, login: str) -> bool:
        """The one override «Профиль» shows (the daemon reads them all; a page needs one)."""
        with self.store._read() as conn:
            return bool(conn.execute(select(overrides.c.forward_to_mobile).where(overrides.c.login == login))
                        .scalar())

    def sign_in_ok(self, login_key: str, login: str, typed: str, address: str,
                   now: dt.datetime) -> tuple[str, WebSession]:
        """A good sign-in in one transaction: the login's failures cleared, a session, the audit line."""
        with self.store._write() as conn:
            clear_failures(conn, login_key)
            token, session = create_session(conn, login, address, now)
            log_signin(conn, now, typed, login, address, "ok")
            return token, session

    def sign_in_failed(self, keys_and_delays, typed: str, employee: str, address: str, now: dt.datetime,
                       forgotten_before: dt.datetime) -> None:
        """A wrong password in one transaction: each key's failure counted (and blocked), the audit line."""
        with self.store._write() as conn:
            for key, delay in keys_and_delays:
                _count_and_block(conn, key, now, forgotten_before, delay)
            forget_failures(conn, forgotten_before, now)
            log_signin(conn, now, typed, employee, address, "wrong_password")

    def clear_failures(self, key: str) -> None:
        with self.store._write() as conn:
            clear_failures(conn, key)
