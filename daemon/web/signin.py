"""Signing in: throttle, password check off the event loop, audit, session.

Every attempt ends in one outcome, written to the audit log and counted:
`throttled` (refused before the password is looked at), `wrong_password` (also an
unknown login: the answer must not tell which logins exist, so a dummy hash is
checked to take the same time), `inactive` (the right password of someone no
longer in the config file) or `ok`.  The password itself is never logged.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Callable, Optional

from config.models import Employee
from config.snapshot import Snapshot
from daemon.web import throttle
from daemon.web.metrics import WebMetrics
from store import credentials as creds
from store.web import WebSession, WebStore

log = logging.getLogger(__name__)

CpuRunner = Callable[..., object]          # runs a CPU-bound function off the event loop


@dataclass(frozen=True)
class SignInResult:
    outcome: str
    employee: Optional[Employee] = None
    retry_after: int = 0                   # seconds, when throttled
    token: str = ""                        # the session cookie's value, when ok
    session: Optional[WebSession] = None


def find_employee(snapshot: Snapshot, typed: str) -> Optional[Employee]:
    """The employee a login or an extension names."""
    typed = typed.strip()
    return snapshot.by_login.get(typed) or snapshot.by_login.get(typed.lower()) or snapshot.by_extension.get(typed)


class SignIn:
    def __init__(self, store, web: WebStore, metrics: WebMetrics, clock: Callable[[], dt.datetime],
                 run_cpu: CpuRunner, is_active: Callable[[str, Snapshot], bool]):
        self._store = store
        self._web = web
        self._metrics = metrics
        self._clock = clock
        self._run_cpu = run_cpu
        self._is_active = is_active
        self._dummy_hash: Optional[str] = None

    def attempt(self, snapshot: Snapshot, typed: str, password: str, address: str) -> SignInResult:
        settings = snapshot.file.web.throttle
        typed = (typed or "").strip()
        employee = find_employee(snapshot, typed)
        login = employee.login if employee is not None else typed
        # One counter per person whether they typed the login or the extension.
        keys = (throttle.login_key(login), throttle.address_key(address))
        now = self._clock()
        until = self._web.blocked_until(keys, now)
        if until is not None:
            return self._finish(typed, "", address, "throttled",
                                SignInResult("throttled", retry_after=max(1, math.ceil((until - now).total_seconds()))))

        found = self._store.credentials_for(login) if login else None
        password_hash = found.password_hash if found is not None else self._dummy()
        matches = bool(self._run_cpu(creds.verify_http, password_hash, password or "", self._store.hasher))
        now = self._clock()
        if not (matches and found is not None):
            self._web.sign_in_failed(
                ((keys[0], throttle.login_delay(settings)), (keys[1], throttle.address_delay(settings))),
                typed, login if employee is not None else "", address, now,
                now - dt.timedelta(seconds=settings.forget_after))
            return self._count(typed, login, address, "wrong_password", SignInResult("wrong_password"))
        if employee is None or not self._is_active(employee.login, snapshot):
            return self._finish(typed, login, address, "inactive", SignInResult("inactive"))
        token, session = self._web.sign_in_ok(keys[0], employee.login, typed, address, now)
        return self._count(typed, employee.login, address, "ok", SignInResult("ok", employee, token=token,
                                                                               session=session))

    def _finish(self, typed: str, login: str, address: str, outcome: str, result: SignInResult) -> SignInResult:
        self._web.log_signin(self._clock(), typed, login, address, outcome)
        return self._count(typed, login, address, outcome, result)

    def _count(self, typed: str, login: str, address: str, outcome: str, result: SignInResult) -> SignInResult:
        self._metrics.signins_total.labels(outcome=outcome).inc()
        log.info("sign-in %s: login=%r employee=%s address=%s", outcome, typed[:64], login or "-", address)
        return result

    def _dummy(self) -> str:
        """A hash made with the store's hasher, checked for unknown logins to take the usual time."""
        if self._dummy_hash is None:
            self._dummy_hash = self._run_cpu(creds.http_hash, creds.generate_password(), self._store.hasher)
        return self._dummy_hash
