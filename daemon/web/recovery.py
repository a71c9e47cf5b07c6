"""«Забыли пароль?»: a one-time code keyed on the employee's personal mobile.

The flow: the page asks for a login or extension and always answers the same way
("if this employee has a personal mobile, we are calling it now") with a page that
shows a 6-digit code. Only when the login names an active employee with a mobile,
and their hourly allowance is not used up, does callrouter call that mobile
(daemon/web/mobilecall.py) and ask for the code; keying it in proves the mobile is
in the hands of the person at the screen, and the page then lets them set a new
password. With `recovery.sms` the code can come by SMS instead and be typed on the page.

What makes the answer the same for everyone: a request row is written for any
login (with `login=""` when it names nobody who can be called), the same hashing is
done, and such a row's "call" ends like an unanswered one after the ring timeout.

Secrets: the browser holds a random token; the store keeps its SHA-256 and the code's
scrypt hash; the code shown is derived from the token (daemon/web/recoverycodes.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Callable, Optional

import gevent

from config.models import Employee
from config.snapshot import Snapshot
from daemon import mail
from daemon.web import mobilecall, sms
from daemon.web.recoverycodes import code_matches, derive_code, hash_code
from daemon.web.recoverynotice import notice_message
from daemon.web.selfservice import Refusal, password_problem, set_password
from daemon.web.signin import find_employee
from store.recovery import RecoveryRequest, RecoveryStore
from store.web import token_hash

log = logging.getLogger(__name__)

CODE_TTL = dt.timedelta(minutes=5)
RESET_WINDOW = dt.timedelta(minutes=10)      # after the code was verified
TRIES = 3
HOUR = dt.timedelta(hours=1)
STALE_CALL = dt.timedelta(minutes=4)         # a call whose process died: counts as unanswered
ENDED = ("no_answer", "hung_up", "failed", "wrong")
OPEN = ("calling", "keying", "sms_sent") + ENDED


@dataclass(frozen=True)
class View:
    """What the page and the API show of a request."""
    state: str              # calling | keying | ended | wrong | sms_sent | verified | done | exhausted | expired
    code: str
    attempts_left: int
    expires: dt.datetime
    can_call: bool
    can_sms: bool

    def to_dict(self) -> dict:
        return {"state": self.state, "code": self.code, "attempts_left": self.attempts_left,
                "expires_at": self.expires.isoformat(), "can_call_again": self.can_call, "can_sms": self.can_sms}


def company_number(snapshot: Snapshot) -> str:
    company = snapshot.company
    return company.caller_id or next(iter(company.numbers), "") or ""


class Recovery:
    def __init__(self, ctx, *, place_call: Callable = mobilecall.place_call, send_sms: Callable = sms.send_sms,
                 send_mail: Callable = mail.send, spawn: Callable = gevent.spawn):
        self.ctx = ctx
        self.store = RecoveryStore(ctx.store, lambda outcome: ctx.metrics.recoveries_total.labels(outcome).inc())
        self.place_call = place_call
        self.send_sms = send_sms
        self.send_mail = send_mail
        self.spawn = spawn

    # ------------------------------------------------------------------ request

    def request(self, snapshot: Snapshot, typed: str, address: str) -> tuple[Optional[str], Optional[Refusal]]:
        """A new request: (token, None), or (None, refusal) when this address asked too often."""
        settings = snapshot.file.recovery
        typed = (typed or "").strip()[:64]
        now = self.ctx.clock()
        if not settings.enabled:
            return None, Refusal(404, "disabled", "Восстановление пароля отключено. Обратитесь к администратору.")
        if self.store.requests_from(address, now - HOUR) >= settings.address_per_hour:
            self.store.audit(now, typed, "", address, "recovery_throttled")
            return None, Refusal(429, "throttled", "Слишком много запросов с вашего адреса. Повторите через час.",
                                 3600)
        if not typed:
            return None, Refusal(400, "no_login", "Укажите логин или внутренний номер.")
        token = secrets.token_urlsafe(32)
        employee = self._callable(snapshot, typed)
        code_hash = self.ctx.run_cpu(hash_code, derive_code(token))
        audit = [(typed, employee.login if employee else "", address, "recovery_request")]
        call = self._may_send(employee, settings, now, audit, typed, address)
        row = {"token_hash": token_hash(token), "login": employee.login if employee else "", "typed": typed,
               "address": address[:64], "created": now, "expires": now + CODE_TTL, "code_hash": code_hash,
               "sms_hash": "", "attempts": 0, "state": "calling", "call_uuid": call or ""}
        self.store.create(row, audit, now)
        if call:
            self._start_call(snapshot, employee, row["token_hash"], call, address)
        return token, None

    def _callable(self, snapshot: Snapshot, typed: str) -> Optional[Employee]:
        """The employee `typed` names when they can be called: active, with a mobile."""
        employee = find_employee(snapshot, typed)
        if employee is None or not employee.mobile or self.ctx.scope_for(employee.login, snapshot) is None:
            return None
        return employee

    def _may_send(self, employee: Optional[Employee], settings, now, audit: list, typed: str,
                  address: str, what: str = "recovery_call") -> Optional[str]:
        """A call UUID (or "sms") when something may go to `employee`'s mobile now; the audit line either way."""
        sent = self.store.sent_since(employee.login if employee else "", now - HOUR)    # the same query for anyone
        if employee is None:
            return None
        if sent >= settings.calls_per_hour:
            audit.append((typed, employee.login, address, "recovery_limited"))
            log.warning("recovery for %s: %d calls/SMS in the last hour already; nothing sent",
                        employee.login, settings.calls_per_hour)
            return None
        audit.append((typed, employee.login, address, what))
        return mobilecall.new_call_uuid() if what == "recovery_call" else "sms"

    # ------------------------------------------------------------------ the call

    def _start_call(self, snapshot: Snapshot, employee: Employee, hashed: str, uuid: str, address: str) -> None:
        settings = snapshot.file.recovery
        plan = dict(gateway=snapshot.company.gateway, number=employee.mobile, caller_id=company_number(snapshot),
                    caller_name="", prompt=settings.prompt, ring_timeout=settings.ring_timeout, uuid=uuid)
        self.spawn(self._guarded_call, snapshot.file.freeswitch, plan, hashed, employee.login, address)

    def _guarded_call(self, *args) -> None:
        try:
            self._run_call(*args)
        except Exception:                # the store away, a bug: logged; the request ends as unanswered
            log.exception("recovery call to %s's mobile: unexpected failure", args[3])

    def _run_call(self, freeswitch, plan: dict, hashed: str, login: str, address: str) -> None:
        now = self.ctx.clock
        uuid = plan["uuid"]
        log.info("recovery call to %s's mobile", login, extra={"uuid": uuid})
        try:
            plan = mobilecall.CallPlan(**plan)           # a gateway name that cannot be dialled: ValueError
            result = self.place_call(
                freeswitch, plan,
                lambda: self.store.update(hashed, now(), only_if_state=("calling",), state="keying"),
                lambda digits: self._keyed(hashed, digits, login, address))
        except (mobilecall.CallError, ValueError) as exc:
            log.error("recovery call to %s's mobile failed: %s", login, exc, extra={"uuid": uuid})
            self.store.update(hashed, now(), (login, login, address, "recovery_failed"),
                              only_if_state=("calling", "keying"), state="failed")
            return
        log.info("recovery call to %s's mobile ended: %s %s", login, result.outcome, result.cause,
                 extra={"uuid": uuid})
        if result.outcome == "no_answer":
            self.store.update(hashed, now(), (login, login, address, "recovery_no_answer"),
                              only_if_state=("calling", "keying"), state="no_answer")
        elif result.outcome in ("hung_up", "failed"):
            self.store.update(hashed, now(), (login, login, address, "recovery_failed"),
                              only_if_state=("calling", "keying"), state=result.outcome)

    def _keyed(self, hashed: str, digits: str, login: str, address: str) -> bool:
        request = self.store.find(hashed)
        if request is None or request.state not in ("calling", "keying"):
            return False
        return self._check(request, request.code_hash, digits, address)

    def _check(self, request: RecoveryRequest, stored: str, code: str, address: str,
               wrong: str = "wrong") -> bool:
        """One try of a code; the request moves on (verified, wrong, exhausted) and the audit log says so."""
        now = self.ctx.clock()
        who = (request.typed, request.login, address)
        if now >= request.expires:
            self.store.audit(now, *who, "recovery_expired")
            return False
        good = bool(self.ctx.run_cpu(code_matches, stored, code)) if stored else False
        if good and request.login:
            return self.store.update(request.token_hash, now, (*who, "recovery_verified"), only_if_state=OPEN,
                                     state="verified", verified=now)
        attempts = request.attempts + 1
        self.store.update(request.token_hash, now, (*who, "recovery_wrong_code"), only_if_state=OPEN,
                          attempts=attempts, state="exhausted" if attempts >= TRIES else wrong)
        return False

    # ------------------------------------------------------------------ what the page shows

    def find(self, token: Optional[str]) -> Optional[RecoveryRequest]:
        if not token or len(token) > 100:
            return None
        return self.store.find(token_hash(token))

    def view(self, snapshot: Snapshot, token: str, request: RecoveryRequest) -> View:
        settings = snapshot.file.recovery
        now = self.ctx.clock()
        state = request.state
        if state in ("calling", "keying"):
            silent = request.created + dt.timedelta(seconds=settings.ring_timeout)
            if (not request.call_uuid and now >= silent) or now >= request.created + STALE_CALL:
                state = "no_answer"           # nobody was called (or the call's process is gone)
        if state in ("no_answer", "hung_up", "failed"):
            state = "ended"
        if state == "verified" and now >= request.verified + RESET_WINDOW:
            state = "expired"
        elif state not in ("verified", "done") and now >= request.expires:
            state = "expired"
        left = max(TRIES - request.attempts, 0)
        waiting = state in ("ended", "wrong", "sms_sent")
        return View(state, derive_code(token), left, request.expires, can_call=waiting and left > 0,
                    can_sms=settings.sms is not None and waiting and left > 0)

    # ------------------------------------------------------------------ again, by SMS, typed

    def call_again(self, snapshot: Snapshot, token: str, address: str) -> Optional[Refusal]:
        request = self.find(token)
        if request is None:
            return Refusal(404, "not_found", "Запрос не найден. Начните заново.")
        view = self.view(snapshot, token, request)
        if not view.can_call:
            return Refusal(409, "not_now", "Сейчас позвонить ещё раз нельзя.")
        now = self.ctx.clock()
        settings = snapshot.file.recovery
        if self.store.requests_from(address, now - HOUR) >= settings.address_per_hour:
            return Refusal(429, "throttled", "Слишком много запросов с вашего адреса. Повторите через час.", 3600)
        employee = snapshot.by_login.get(request.login) if request.login else None
        audit = [(request.typed, request.login, address, "recovery_request")]
        call = self._may_send(employee, settings, now, audit, request.typed, address)
        self.store.update(request.token_hash, now, only_if_state=ENDED + ("sms_sent",), state="calling",
                          created=now, call_uuid=call or "")
        for line in audit:
            self.store.audit(now, *line)
        if call and employee is not None:
            self._start_call(snapshot, employee, request.token_hash, call, address)
        return None

    def by_sms(self, snapshot: Snapshot, token: str, address: str) -> Optional[Refusal]:
        settings = snapshot.file.recovery
        request = self.find(token)
        if request is None:
            return Refusal(404, "not_found", "Запрос не найден. Начните заново.")
        if settings.sms is None or not self.view(snapshot, token, request).can_sms:
            return Refusal(409, "not_now", "Сейчас прислать код по SMS нельзя.")
        now = self.ctx.clock()
        if self.store.requests_from(address, now - HOUR) >= settings.address_per_hour:
            return Refusal(429, "throttled", "Слишком много запросов с вашего адреса. Повторите через час.", 3600)
        employee = snapshot.by_login.get(request.login) if request.login else None
        audit = [(request.typed, request.login, address, "recovery_request")]
        sending = self._may_send(employee, settings, now, audit, request.typed, address, "recovery_sms")
        code = f"{secrets.randbelow(10 ** 6):06d}"
        self.store.update(request.token_hash, now, only_if_state=ENDED + ("sms_sent",), state="sms_sent",
                          sms_hash=self.ctx.run_cpu(hash_code, code))
        for line in audit:
            self.store.audit(now, *line)
        if sending and employee is not None:      # sent after the answer: the page takes as long for anyone
            text = f"Код для смены пароля ({snapshot.company.name}): {code}. Никому его не сообщайте."
            self.spawn(self._send_sms, settings.sms, employee, text, request.typed, address)
        return None

    def _send_sms(self, settings, employee: Employee, text: str, typed: str, address: str) -> None:
        try:
            self.send_sms(settings, employee.mobile, text)
        except sms.SmsError as exc:
            log.error("recovery SMS to %s's mobile failed: %s", employee.login, exc)
            self.store.audit(self.ctx.clock(), typed, employee.login, address, "recovery_failed")

    def typed_code(self, snapshot: Snapshot, token: str, code: str, address: str) -> Optional[Refusal]:
        request = self.find(token)
        if request is None:
            return Refusal(404, "not_found", "Запрос не найден. Начните заново.")
        view = self.view(snapshot, token, request)
        if view.state != "sms_sent":
            return Refusal(409, "not_now", "Код из SMS сейчас не ожидается.")
        code = "".join(c for c in (code or "") if c.isdigit())[:6]
        if self._check(request, request.sms_hash, code, address, wrong="sms_sent"):
            return None
        left = max(view.attempts_left - 1, 0)
        return Refusal(403, "wrong_code", f"Код не подошёл. Осталось попыток: {left}." if left else
                       "Код не подошёл, попыток больше нет. Начните заново через час.")

    # ------------------------------------------------------------------ the new password

    def reset(self, snapshot: Snapshot, token: str, new: str, address: str) -> tuple[Optional[Employee],
                                                                                   Optional[Refusal]]:
        request = self.find(token)
        if request is None or self.view(snapshot, token, request).state != "verified":
            return None, Refusal(409, "not_verified", "Сначала подтвердите код с мобильного.")
        employee = snapshot.by_login.get(request.login)
        if employee is None:
            return None, Refusal(409, "not_verified", "Сначала подтвердите код с мобильного.")
        problem = password_problem(new or "", employee)
        if problem:
            return None, Refusal(422, "weak_password", problem)
        ctx, now = self.ctx, self.ctx.clock()
        if not self.store.update(request.token_hash, now, (request.typed, request.login, address, "recovery_reset"),
                                 only_if_state=("verified",), state="done", used=now):
            return None, Refusal(409, "not_verified", "Этот запрос уже использован.")
        set_password(ctx, snapshot, employee, new)
        ended = ctx.web.end_sessions_of(employee.login)
        log.info("password of %s reset through the mobile; %d web sessions ended", employee.login, ended)
        self._notify(snapshot, employee, address)
        return employee, None

    def _notify(self, snapshot: Snapshot, employee: Employee, address: str) -> None:
        smtp = snapshot.company.smtp
        if not employee.email or smtp is None:
            return
        message = notice_message(snapshot, employee, address, self.ctx.clock(), smtp.sender)
        self.spawn(self._send_notice, smtp, message, employee.login)

    def _send_notice(self, smtp, message, login: str) -> None:
        try:
            self.send_mail(smtp, message)
        except mail.MailError as exc:
            log.error("could not e-mail %s about the password reset: %s", login, exc)
