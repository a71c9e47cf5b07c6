"""What password recovery keeps in the store: the requests, and their lines in the audit log.

A request row is found by the SHA-256 of the browser's token. Its outcomes go to the
same audit log as sign-ins (`signin_log`), with outcomes of their own (`AUDIT`), so
an administrator reads one list; the per-employee and per-address limits count those
lines, so they hold across several web processes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import and_, delete, func, select, update

from store.tables import recovery_requests, signin_log

#: calling: the call is being placed or rings; keying: answered, the prompt plays;
#: verified: the right code was keyed (or typed from the SMS); done: the password was set;
#: no_answer / hung_up / failed / wrong: the call ended without the right code;
#: sms_sent: the code went by SMS; exhausted: no tries left.
STATES = ("calling", "keying", "verified", "done", "no_answer", "hung_up", "failed", "wrong", "sms_sent",
          "exhausted")

#: Audit-log outcomes (`signin_log.outcome`, 20 characters at most).
AUDIT = ("recovery_request", "recovery_call", "recovery_sms", "recovery_no_mobile", "recovery_limited",
         "recovery_throttled", "recovery_no_answer", "recovery_wrong_code", "recovery_verified",
         "recovery_reset", "recovery_failed", "recovery_expired")
SENT = ("recovery_call", "recovery_sms")


@dataclass(frozen=True)
class RecoveryRequest:
    token_hash: str
    login: str
    typed: str
    address: str
    created: dt.datetime
    expires: dt.datetime
    code_hash: str
    sms_hash: str
    attempts: int
    state: str
    call_uuid: str
    verified: Optional[dt.datetime]
    used: Optional[dt.datetime]


class RecoveryStore:
    """Each method one short transaction on a `Store`'s database."""

    def __init__(self, store, counted: Callable[[str], None] = lambda outcome: None):
        self.store = store
        self._counted = counted            # told each audit outcome once it is written (metrics)

    def create(self, row: dict, audit: list[tuple[str, str, str, str]], now: dt.datetime) -> None:
        """The new request and its audit lines (typed, employee, address, outcome) together."""
        with self.store._write() as conn:
            conn.execute(delete(recovery_requests).where(recovery_requests.c.expires < now - dt.timedelta(days=1)))
            conn.execute(recovery_requests.insert().values(row))
            for typed, employee, address, outcome in audit:
                _audit(conn, now, typed, employee, address, outcome)
        for line in audit:
            self._counted(line[3])

    def find(self, token_hash: str) -> Optional[RecoveryRequest]:
        with self.store._read() as conn:
            row = conn.execute(select(recovery_requests).where(recovery_requests.c.token_hash == token_hash)) \
                .mappings().first()
        return RecoveryRequest(**row) if row else None

    def update(self, token_hash: str, now: dt.datetime, audit: Optional[tuple[str, str, str, str]] = None,
               only_if_state: Optional[tuple[str, ...]] = None, **values) -> bool:
        """Change a request (when its state is one of `only_if_state`); False when nothing matched."""
        with self.store._write() as conn:
            where = recovery_requests.c.token_hash == token_hash
            if only_if_state:
                where = and_(where, recovery_requests.c.state.in_(only_if_state))
            changed = conn.execute(update(recovery_requests).where(where).values(**values)).rowcount
            if changed and audit is not None:
                _audit(conn, now, *audit)
        if changed and audit is not None:
            self._counted(audit[3])
        return bool(changed)

    def audit(self, now: dt.datetime, typed: str, employee: str, address: str, outcome: str) -> None:
        with self.store._write() as conn:
            _audit(conn, now, typed, employee, address, outcome)
        self._counted(outcome)

    def sent_since(self, login: str, since: dt.datetime) -> int:
        """Calls and SMS sent to `login`'s mobile since `since`."""
        with self.store._read() as conn:
            return conn.execute(select(func.count()).select_from(signin_log).where(and_(
                signin_log.c.employee == login, signin_log.c.outcome.in_(SENT), signin_log.c.at >= since))).scalar()

    def requests_from(self, address: str, since: dt.datetime) -> int:
        with self.store._read() as conn:
            return conn.execute(select(func.count()).select_from(signin_log).where(and_(
                signin_log.c.address == address[:64], signin_log.c.outcome == "recovery_request",
                signin_log.c.at >= since))).scalar()


def _audit(conn, at: dt.datetime, typed: str, employee: str, address: str, outcome: str) -> None:
    if outcome not in AUDIT:
        raise ValueError(f"unknown recovery outcome {outcome!r}")
    conn.execute(signin_log.insert().values(at=at, login=typed[:64], employee=employee, address=address[:64],
                                            outcome=outcome))
