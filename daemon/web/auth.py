"""Sessions and CSRF for every request, the same for pages and the API.

The cookie holds a random token; the store keeps its SHA-256 (store.web).  Each
request looks the session up, ends it when idle too long or when its employee is
no longer in the config (removed: their sessions end at the next request), and
records `last_seen` at most once a minute, so reading pages costs no write each.

CSRF: each session has a token.  Forms carry it in a hidden `csrf_token` field;
API writes carry it in `X-CSRF-Token`.  Before a session exists, the sign-in form
is protected by a token in a short cookie of its own (double submit).  Tokens are
compared in constant time.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Optional

from flask import current_app, g, request

from config.models import Employee, is_loopback_address
from config.snapshot import Snapshot
from store.web import WebSession

SESSION_COOKIE = "callrouter_session"
PRESESSION_COOKIE = "callrouter_signin"
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Viewer:
    employee: Employee
    session: WebSession
    scope: object                      # config.access.Scope

    @property
    def is_admin(self) -> bool:
        return self.employee.role == "admin"


def same(a: Optional[str], b: Optional[str]) -> bool:
    """Constant-time equality of two tokens (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def secure_cookies(snapshot: Snapshot) -> bool:
    web = snapshot.file.web
    return web.secure_cookies and not is_loopback_address(web.listen)


def client_address(snapshot: Snapshot) -> str:
    if snapshot.file.web.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return (request.remote_addr or "")[:64]


def load_viewer() -> Optional[Viewer]:
    """The signed-in viewer of this request, or None (a stale session is ended on the way)."""
    ctx = current_app.extensions["callrouter"]
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    session = ctx.web.find_session(token)
    if session is None:
        return None
    snapshot = g.snapshot
    now = ctx.clock()
    idle = dt.timedelta(seconds=snapshot.file.web.session_idle)
    employee = snapshot.by_login.get(session.login)
    scope = ctx.scope_for(session.login, snapshot) if employee is not None else None
    if now - session.last_seen > idle or scope is None:
        ctx.web.end_session(session.token_hash)
        return None
    if now - session.last_seen > TOUCH_EVERY:
        ctx.web.touch_session(session.token_hash, now)
    return Viewer(employee, session, scope)


def presession_token() -> str:
    """The sign-in form's CSRF token: the one in the cookie, or a new one (set by `after_request`)."""
    token = request.cookies.get(PRESESSION_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(24)
        g.new_presession = token
    return token


def form_csrf_ok() -> bool:
    viewer = g.get("viewer")
    expected = viewer.session.csrf_token if viewer else request.cookies.get(PRESESSION_COOKIE)
    return same(request.form.get("csrf_token"), expected)


def header_csrf_ok() -> bool:
    viewer = g.get("viewer")
    return viewer is not None and same(request.headers.get("X-CSRF-Token"), viewer.session.csrf_token)


def set_session_cookie(response, token: str, snapshot: Snapshot) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=secure_cookies(snapshot),
                        path="/")


def clear_session_cookie(response, snapshot: Snapshot) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=secure_cookies(snapshot), path="/")


def viewer_zone():
    """The time zone the viewer reads times in: their own, else (nobody signed in) the company's."""
    return g.snapshot.zone_of(g.viewer.employee if g.get("viewer") else None)
