"""What an employee changes about themselves: forwarding to their mobile, their password.

Forwarding is written as the same store override that `*21`/`#21` write, so every
daemon applies it within about a second.  A new password replaces both hashes
(argon2 for these pages, the SIP A1 for the phones), so the phones must register
again with it; the employee's other sessions end.  A wrong current password counts
as a failed sign-in of that login, so a stolen session cannot guess it freely.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Optional

from config.models import Employee
from config.snapshot import Snapshot
from daemon.web import throttle
from store import credentials as creds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str                      # Russian, for the page and the API's `message`
    retry_after: int = 0


def password_problem(new: str, employee: Employee) -> Optional[str]:
    """Why `new` is too weak (in Russian), or None."""
    if len(new) < creds.MIN_PASSWORD_LENGTH:
        return f"Пароль должен быть не короче {creds.MIN_PASSWORD_LENGTH} символов."
    try:
        creds.check_password_strength(new)
    except ValueError:
        return "Пароль не должен начинаться или заканчиваться пробелом и содержать управляющие символы."
    if not any(c.isalpha() for c in new) or not any(c.isdigit() for c in new):
        return "В пароле нужны и буквы, и цифры."
    if len(set(new)) < 5:
        return "В пароле слишком мало разных символов."
    lowered = new.lower()
    if employee.login.lower() in lowered or employee.extension in new:
        return "Пароль не должен содержать логин или внутренний номер."
    return None


def change_password(ctx, snapshot: Snapshot, employee: Employee, session_hash: str,
                    current: str, new: str) -> Optional[Refusal]:
    settings = snapshot.file.web.throttle
    key = throttle.login_key(employee.login)
    now = ctx.clock()
    until = ctx.web.blocked_until((key,), now)
    if until is not None:
        wait = max(1, math.ceil((until - now).total_seconds()))
        return Refusal(429, "throttled", f"Слишком много неверных попыток. Повторите через {wait} с.", wait)
    found = ctx.store.credentials_for(employee.login)
    ok = found is not None and bool(ctx.run_cpu(creds.verify_http, found.password_hash, current or "",
                                                ctx.store.hasher))
    if not ok:
        ctx.web.count_failure(key, ctx.clock(), ctx.clock() - dt.timedelta(seconds=settings.forget_after),
                              throttle.login_delay(settings))
        return Refusal(403, "wrong_password", "Текущий пароль указан неверно.")
    problem = password_problem(new or "", employee)
    if problem:
        return Refusal(422, "weak_password", problem)
    if new == current:
        return Refusal(422, "same_password", "Новый пароль совпадает с текущим.")
    set_password(ctx, snapshot, employee, new)
    log.info("password of %s changed on the web; phones must register again", employee.login)
    ctx.web.end_sessions_of(employee.login, keep=session_hash)
    return None


def set_password(ctx, snapshot: Snapshot, employee: Employee, new: str) -> None:
    """Both hashes (web and SIP) of a new password; argon2 off the event loop."""
    domain = snapshot.company.domain
    password_hash = ctx.run_cpu(creds.http_hash, new, ctx.store.hasher)
    ctx.store.set_hashes(employee.login, password_hash, creds.sip_a1(employee.login, domain, new), domain)


def forward_to_mobile(ctx, login: str) -> bool:
    return ctx.web.forward_to_mobile(login)


def set_forward_to_mobile(ctx, employee: Employee, enabled: bool) -> Optional[Refusal]:
    if not employee.mobile:
        return Refusal(409, "no_mobile", "В вашей карточке нет мобильного номера: переадресация на него невозможна.")
    ctx.store.set_override(employee.login, "forward_to_mobile", bool(enabled))
    return None
