"""The JSON API, /api/v1: the pages' twin with the same sessions and the same scope rule.

The names of these endpoints and fields are fixed (other tools are written against
them; see README.md).  Errors are `{"error": code, "message": text}`; 401 and 429
answer with `Retry-After` when waiting helps.
"""
from __future__ import annotations

import functools

from flask import Blueprint, g, jsonify, request

from daemon.web.app import ctx
from daemon.web import auth, export, filters, selfservice
from daemon.web.profile import state_now
from routing import expand, plan, plan_to_dict, plan_to_text
from routing.types import Call
from store import history
from store.history import FilterError
from store.stats import call_stats

blueprint = Blueprint("api", __name__)


def error(status: int, code: str, message: str, retry_after: int = 0):
    response = jsonify(error=code, message=message)
    response.status_code = status
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def signed_in(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.viewer is None:
            return error(401, "unauthorized", "Нужно войти.")
        return view(*args, **kwargs)
    return wrapper


def writes(view):
    """A write: JSON body (a cross-site form cannot send one) and the session's X-CSRF-Token."""
    @functools.wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not auth.header_csrf_ok():
            return error(403, "csrf", "Нет или неверный X-CSRF-Token.")
        return view(*args, **kwargs)
    return wrapper


def admin_only(view):
    @functools.wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.viewer.is_admin:
            return error(404, "not_found", "Не найдено.")
        return view(*args, **kwargs)
    return wrapper


def json_body() -> dict | None:
    """The request's JSON object, or None (not JSON, or not an object)."""
    if not request.is_json:
        return None
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


# --------------------------------------------------------------------------- session

@blueprint.post("/session")
def sign_in():
    body = json_body()
    if body is None or not isinstance(body.get("login"), str) or not isinstance(body.get("password"), str):
        return error(400, "bad_request", 'Нужен JSON {"login": …, "password": …}.')
    snapshot = g.snapshot
    result = ctx().signin.attempt(snapshot, body["login"], body["password"], auth.client_address(snapshot))
    if result.outcome == "throttled":
        return error(429, "throttled", f"Слишком много неудачных попыток входа. Повторите через {result.retry_after} с.",
                     result.retry_after)
    if result.outcome == "inactive":
        return error(403, "inactive", "Учётная запись отключена.")
    if result.outcome != "ok":
        return error(401, "wrong_password", "Неверный логин или пароль.")
    if g.viewer is not None:                   # signing in again: the old session ends
        ctx().web.end_session(g.viewer.session.token_hash)
    response = jsonify(csrf_token=result.session.csrf_token, login=result.employee.login)
    auth.set_session_cookie(response, result.token, snapshot)
    return response


@blueprint.delete("/session")
@writes
def sign_out():
    ctx().web.end_session(g.viewer.session.token_hash)
    response = jsonify(signed_out=True)
    auth.clear_session_cookie(response, g.snapshot)
    return response


# --------------------------------------------------------------------------- me

def me_dict(viewer, snapshot) -> dict:
    e, scope = viewer.employee, viewer.scope
    return {
        "login": e.login, "name": e.name, "role": e.role, "scope": e.scope, "extension": e.extension,
        "department": e.department, "can_download_history": scope.can_export,
        "can_listen_recordings": scope.can_listen, "mobile": e.mobile,
        "forward_to_mobile": selfservice.forward_to_mobile(ctx(), e.login),
        **state_now(e, snapshot, ctx().clock()).to_dict(),
        "timezone": snapshot.zone_of(e).key,
    }


@blueprint.get("/me")
@signed_in
def me():
    return jsonify(me_dict(g.viewer, g.snapshot))


@blueprint.put("/me/forward-to-mobile")
@writes
def forward_to_mobile():
    body = json_body()
    if body is None or not isinstance(body.get("enabled"), bool):
        return error(400, "bad_request", 'Нужен JSON {"enabled": true|false}.')
    refusal = selfservice.set_forward_to_mobile(ctx(), g.viewer.employee, body["enabled"])
    if refusal:
        return error(refusal.status, refusal.code, refusal.message)
    return jsonify(forward_to_mobile=body["enabled"])


@blueprint.put("/me/password")
@writes
def password():
    body = json_body()
    if body is None or not isinstance(body.get("current"), str) or not isinstance(body.get("new"), str):
        return error(400, "bad_request", 'Нужен JSON {"current": …, "new": …}.')
    refusal = selfservice.change_password(ctx(), g.snapshot, g.viewer.employee, g.viewer.session.token_hash,
                                          body["current"], body["new"])
    if refusal:
        return error(refusal.status, refusal.code, refusal.message, refusal.retry_after)
    return jsonify(changed=True, message="Пароль изменён. Зарегистрируйте телефоны заново с новым паролем.")


# --------------------------------------------------------------------------- admin

@blueprint.get("/signins")
@admin_only
def signins():
    before = request.args.get("before", type=int)
    limit = max(1, min(request.args.get("limit", 100, type=int), 500))
    rows = ctx().web.signins(limit, before)
    return jsonify(signins=[{"id": r.id, "at": r.at.isoformat(), "login": r.login, "employee": r.employee or None,
                             "address": r.address, "outcome": r.outcome} for r in rows],
                   next=rows[-1].id if len(rows) == limit else None)


# --------------------------------------------------------------------------- history

def _wants_csv() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


@blueprint.get("/calls")
@signed_in
def calls():
    scope = g.viewer.scope
    try:
        f = filters.call_filter(request.args, g.snapshot, auth.viewer_zone(), ctx().clock())
        if _wants_csv():
            if not scope.can_export:
                return error(403, "no_export_right", "Выгрузка истории вам не разрешена.")
            return export.csv_response(ctx().store, scope, f, auth.viewer_zone())
        limit = request.args.get("limit", history.DEFAULT_LIMIT, type=int)
        rows, nxt = ctx().db(history.list_calls, scope, f, limit, request.args.get("cursor") or None)
    except FilterError as exc:
        return error(400, "bad_filter", str(exc))
    zone = auth.viewer_zone()
    listen = scope.can_listen
    return jsonify(calls=[_listed(r, zone, listen) for r in rows], next=nxt)


def _listed(row, zone, listen: bool) -> dict:
    """A list row; `has_recording` only for those who may listen (issue 11)."""
    d = row.as_dict(zone)
    if listen:
        d["has_recording"] = row.recorded
    return d


@blueprint.get("/calls/<uuid>")
@signed_in
def call(uuid: str):
    detail = ctx().db(history.call_detail, g.viewer.scope, uuid)
    if detail is None:
        return error(404, "not_found", "Не найдено.")
    zone = auth.viewer_zone()
    iso = lambda moment: moment.astimezone(zone).isoformat() if moment else None      # noqa: E731
    body = detail.call.as_dict(zone)
    body.update(answered_at=iso(detail.answered_at), ended_at=iso(detail.ended_at), reason=detail.reason,
                hangup_cause=detail.hangup_cause, path=[{
                    "action": s.action, "target": s.target, "reason": s.reason, "started_at": iso(s.started_at),
                    "ended_at": iso(s.ended_at), "disposition": s.disposition, "ended_because": s.ended_because,
                    "answered_by": s.answered_by or None,
                    "legs": [{"device": leg.device, "login": leg.login, "delay": leg.delay, "timeout": leg.timeout,
                              "starts_at": iso(leg.starts_at)} for leg in s.legs]} for s in detail.path])
    if g.viewer.scope.can_listen and detail.recording_state:
        body["recording_state"] = detail.recording_state        # ok | failed | empty | pruned
    if g.viewer.scope.can_listen and detail.call.recorded:
        body["has_recording"] = True
        body["recording_url"] = f"/api/v1/calls/{detail.call.uuid}/recording"
    return jsonify(body)


@blueprint.get("/stats")
@signed_in
def stats():
    zone = auth.viewer_zone()
    now = ctx().clock()
    try:
        start, end = filters.stats_window(request.args, zone, now)
    except FilterError as exc:
        return error(400, "bad_filter", str(exc))
    s = ctx().db(call_stats, g.viewer.scope, start, end, zone)
    group = lambda x: {"received": x.received, "answered": x.answered, "missed": x.missed,       # noqa: E731
                       "answer_rate": x.answer_rate, "wait_avg": x.wait_avg, "wait_p90": x.wait_p90,
                       "talk_avg": x.talk_avg}
    return jsonify(
        start=start.astimezone(zone).isoformat(), end=end.astimezone(zone).isoformat(), totals=group(s.totals),
        departments=[{"department": d.key, **group(d)} for d in s.departments],
        employees=[{"login": e.key, **group(e)} for e in s.employees],
        by_hour=[{"hour": h.hour, "answered": h.answered, "missed": h.missed} for h in s.by_hour],
        not_called_back=[{"number": n.number, "caller_name": n.caller_name, "missed": n.missed,
                          "last_missed_at": n.last_missed_at.astimezone(zone).isoformat(), "last_uuid": n.last_uuid}
                         for n in s.not_called_back],
        not_called_back_total=s.not_called_back_total)


@blueprint.get("/plan")
@admin_only
def plan_explainer():
    to = (request.args.get("to") or "").strip()
    if not to:
        return error(400, "bad_request", "Укажите номер: ?to=N.")
    now = ctx().clock()
    result = expand(plan(Call(destination=to[:64], caller=(request.args.get("from") or "")[:64]), g.snapshot, now),
                    g.snapshot, now)
    return jsonify(plan=plan_to_dict(result), text=plan_to_text(result, g.snapshot, now, destination=to[:64]))
