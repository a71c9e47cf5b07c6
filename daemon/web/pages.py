"""The HTML pages (Russian, server-rendered): sign-in, profile, history, statistics, admin.

Every form posts its session's CSRF token; anything outside the viewer's scope
answers 404, as the API does.
"""
from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from daemon.web.app import ctx
from daemon.web import auth, export, filters, selfservice
from daemon.web.explain import timeline
from daemon.web.chart import hour_chart
from daemon.web.profile import STRATEGIES, describe_target, reception_rows, state_now
from daemon.web.words import ACTIONS, DEVICES, ENDED, REASONS
from routing import expand, plan
from routing.types import Call
from store import history
from store.history import FilterError
from store.stats import call_stats

blueprint = Blueprint("pages", __name__)


def signed_in(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.viewer is None:
            return redirect(url_for("pages.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def admin_only(view):
    @functools.wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.viewer.is_admin:
            abort(404)
        return view(*args, **kwargs)
    return wrapper


def posted(view):
    """A form post: the CSRF token must match, else 400."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not auth.form_csrf_ok():
            abort(400)
        return view(*args, **kwargs)
    return wrapper


def install_filters(app) -> None:
    @app.context_processor
    def _globals():
        viewer = g.get("viewer")
        return {"viewer": viewer, "csrf_token": viewer.session.csrf_token if viewer else "",
                "company": g.snapshot.company.name if g.get("snapshot") else ""}

    @app.template_filter("localtime")
    def _localtime(moment, fmt="%d.%m.%Y %H:%M:%S"):
        if moment is None:
            return "—"
        return moment.astimezone(auth.viewer_zone()).strftime(fmt)

    @app.template_filter("duration")
    def _duration(seconds):
        """`1:05` (minutes:seconds), `1:02:05` past an hour; a dash for none."""
        if seconds is None:
            return "—"
        seconds = int(round(seconds))
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no `//host`, no scheme): no open redirect after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return url_for("pages.home")
    return target


# --------------------------------------------------------------------------- sign in / out

@blueprint.get("/")
@signed_in
def home():
    return redirect(url_for("pages.calls"))


@blueprint.route("/signin", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        if g.viewer is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("signin.html", form_token=auth.presession_token(), next=request.args.get("next", ""))
    nxt = request.form.get("next", "")
    if not auth.form_csrf_ok():
        return render_template("signin.html", form_token=auth.presession_token(), next=nxt,
                               error="Страница входа устарела, попробуйте ещё раз."), 400
    snapshot = g.snapshot
    typed = request.form.get("login", "")
    result = ctx().signin.attempt(snapshot, typed, request.form.get("password", ""), auth.client_address(snapshot))
    if result.outcome == "ok":
        if g.viewer is not None:               # signing in again: the old session ends
            ctx().web.end_session(g.viewer.session.token_hash)
        response = redirect(_safe_next(nxt))
        auth.set_session_cookie(response, result.token, snapshot)
        return response
    status, message = {
        "throttled": (429, f"Слишком много неудачных попыток входа. Повторите через {result.retry_after} с."),
        "inactive": (403, "Учётная запись отключена. Обратитесь к администратору."),
    }.get(result.outcome, (401, "Неверный логин или пароль."))
    response = current_app.make_response((render_template(
        "signin.html", form_token=auth.presession_token(), next=nxt, login=typed, error=message), status))
    if result.retry_after:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


@blueprint.post("/signout")
@signed_in
@posted
def sign_out():
    ctx().web.end_session(g.viewer.session.token_hash)
    response = redirect(url_for("pages.sign_in"))
    auth.clear_session_cookie(response, g.snapshot)
    return response


# --------------------------------------------------------------------------- profile

def _profile(status: int = 200, **messages):
    viewer, snapshot = g.viewer, g.snapshot
    e = viewer.employee
    department = snapshot.departments.get(e.department or "")
    return render_template(
        "profile.html", employee=e, department=department, state=state_now(e, snapshot, ctx().clock()),
        rows=reception_rows(e, snapshot), forward=selfservice.forward_to_mobile(ctx(), e.login),
        role=ROLE_NAMES.get(e.role, e.role), **messages), status


@blueprint.get("/profile")
@signed_in
def profile():
    return _profile()


@blueprint.post("/profile/forward")
@signed_in
@posted
def profile_forward():
    enabled = request.form.get("enabled") == "1"
    refusal = selfservice.set_forward_to_mobile(ctx(), g.viewer.employee, enabled)
    if refusal:
        return _profile(refusal.status, forward_error=refusal.message)
    return redirect(url_for("pages.profile"))


@blueprint.post("/profile/password")
@signed_in
@posted
def profile_password():
    new, again = request.form.get("new", ""), request.form.get("again", "")
    if new != again:
        return _profile(422, password_error="Новый пароль и повтор не совпадают.")
    refusal = selfservice.change_password(ctx(), g.snapshot, g.viewer.employee, g.viewer.session.token_hash,
                                          request.form.get("current", ""), new)
    if refusal:
        return _profile(refusal.status, password_error=refusal.message)
    return _profile(password_ok="Пароль изменён. Телефоны и софтфоны нужно зарегистрировать заново с новым "
                                "паролем: со старым они перестанут подключаться.")


# --------------------------------------------------------------------------- admin

@blueprint.get("/admin/signins")
@admin_only
def admin_signins():
    before = request.args.get("before", type=int)
    rows = ctx().web.signins(100, before)
    return render_template("signins.html", rows=rows, outcomes=SIGNIN_OUTCOMES,
                           next=rows[-1].id if len(rows) == 100 else None)


ROLE_NAMES = {"admin": "Администратор", "department_head": "Руководитель отдела", "user": "Пользователь",
              "restricted_user": "Ограниченный пользователь"}
SIGNIN_OUTCOMES = {
    "ok": "вход", "wrong_password": "неверный пароль", "throttled": "отказ: слишком часто",
    "inactive": "учётная запись отключена",
    "recovery_request": "восстановление: запрос", "recovery_call": "восстановление: звонок на мобильный",
    "recovery_sms": "восстановление: SMS", "recovery_limited": "восстановление: лимит звонков",
    "recovery_throttled": "восстановление: отказ, слишком часто", "recovery_no_answer": "восстановление: не ответили",
    "recovery_wrong_code": "восстановление: неверный код", "recovery_verified": "восстановление: код подтверждён",
    "recovery_reset": "восстановление: пароль изменён", "recovery_failed": "восстановление: сбой звонка",
    "recovery_expired": "восстановление: код просрочен",
}


# --------------------------------------------------------------------------- history

def _filter_or_400(args):
    try:
        return filters.call_filter(args, g.snapshot, auth.viewer_zone(), ctx().clock())
    except FilterError as exc:
        abort(400, str(exc))


@blueprint.get("/calls")
@signed_in
def calls():
    scope = g.viewer.scope
    error = None
    try:
        f = filters.call_filter(request.args, g.snapshot, auth.viewer_zone(), ctx().clock())
        rows, nxt = ctx().db(history.list_calls, scope, f, PAGE, request.args.get("cursor") or None)
    except FilterError as exc:
        rows, nxt, error = [], None, str(exc)
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    return render_template(
        "calls.html", rows=rows, next_url=url_for("pages.calls", cursor=nxt, **args) if nxt else None,
        first_url=url_for("pages.calls", **args) if request.args.get("cursor") else None,
        export_url=url_for("pages.calls_export", **args) if scope.can_export else None, args=request.args,
        error=error, periods=filters.PERIODS, directions=filters.DIRECTIONS, outcomes=filters.OUTCOMES,
        filter_outcomes=filters.FILTER_OUTCOMES, employees=filters.employee_choices(scope, g.snapshot),
        departments=filters.department_choices(scope, g.snapshot), names=_names()), (400 if error else 200)


@blueprint.get("/calls/export.csv")
@signed_in
def calls_export():
    if not g.viewer.scope.can_export:
        abort(403)
    return export.csv_response(ctx().store, g.viewer.scope, _filter_or_400(request.args), auth.viewer_zone(),
                               russian_headers=True)


@blueprint.get("/calls/<uuid>")
@signed_in
def call(uuid: str):
    detail = ctx().db(history.call_detail, g.viewer.scope, uuid)
    if detail is None:
        abort(404)
    return render_template("call.html", d=detail, c=detail.call, names=_names(), directions=filters.DIRECTIONS,
                           outcomes=filters.OUTCOMES, actions=ACTIONS, reasons=REASONS, ended=ENDED, devices=DEVICES)


@blueprint.get("/stats")
@signed_in
def stats():
    zone = auth.viewer_zone()
    try:
        start, end = filters.stats_window(request.args, zone, ctx().clock())
    except FilterError as exc:
        abort(400, str(exc))
    result = ctx().db(call_stats, g.viewer.scope, start, end, zone)
    return render_template("stats.html", s=result, chart=hour_chart(result.by_hour), args=request.args,
                           periods=filters.PERIODS, names=_names(), period_end=end - dt.timedelta(seconds=1))


def _names() -> dict[str, str]:
    """Login / `employee:LOGIN` / `department:NAME` → how the pages show it."""
    snapshot = g.snapshot
    names: dict[str, str] = {}
    for e in snapshot.by_login.values():
        names[e.login] = names[f"employee:{e.login}"] = f"{e.name} ({e.extension})"
    for d in snapshot.departments.values():
        names[f"department:{d.name}"] = f"отдел «{d.name}» ({d.extension})"
    return names


PAGE = 50


# --------------------------------------------------------------------------- admin: directory and plan

@blueprint.get("/admin/directory")
@admin_only
def admin_directory():
    snapshot = g.snapshot
    now = ctx().clock()
    people = sorted(snapshot.by_login.values(), key=lambda e: (e.department or "", e.name))
    return render_template("directory.html", people=[(e, state_now(e, snapshot, now), reception_rows(e, snapshot))
                                                     for e in people],
                           departments=sorted(snapshot.departments.values(), key=lambda d: d.name),
                           roles=ROLE_NAMES, names=_names(), strategies=STRATEGIES,
                           describe=lambda target: describe_target(target, snapshot))


@blueprint.get("/admin/plan")
@admin_only
def admin_plan():
    to = (request.args.get("to") or "").strip()
    caller = (request.args.get("from") or "").strip()
    explained = None
    if to:
        now = ctx().clock()
        result = expand(plan(Call(destination=to[:64], caller=caller[:64]), g.snapshot, now), g.snapshot, now)
        explained = timeline(result, g.snapshot, now, destination=to[:64])
    return render_template("plan.html", to=to, caller=caller, explained=explained)
