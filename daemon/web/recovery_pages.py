"""«Забыли пароль?»: the pages (/recover…) and the API (/api/v1/password-recovery…).

The browser keeps the request's token in a cookie limited to /recover; an API client
keeps it itself and sends it as `X-Recovery-Token`. Neither needs a session. Forms
carry the sign-in page's CSRF token (double submit); API writes are JSON, which a
cross-site form cannot send, and carry the recovery token in a header.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for

from daemon.web.app import ctx
from daemon.web import auth
from daemon.web.api import error, json_body

blueprint = Blueprint("recovery", __name__)
api_blueprint = Blueprint("recovery_api", __name__)

COOKIE = "callrouter_recovery"
PHONES = ("Это и пароль SIP: введите новый пароль в рабочем телефоне и софтфонах — со старым они перестанут "
          "подключаться.")


def _address() -> str:
    return auth.client_address(g.snapshot)


# --------------------------------------------------------------------------- pages

def _form(status: int = 200, **extra):
    return render_template("recover.html", form_token=auth.presession_token(), **extra), status


@blueprint.get("/recover")
def start():
    return _form()


@blueprint.post("/recover")
def ask():
    if not auth.form_csrf_ok():
        return _form(400, error="Страница устарела, попробуйте ещё раз.")
    typed = request.form.get("login", "")
    token, refusal = ctx().recovery.request(g.snapshot, typed, _address())
    if refusal:
        response = current_app.make_response(_form(refusal.status, error=refusal.message, login=typed))
        if refusal.retry_after:
            response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    response = redirect(url_for("recovery.code"))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", max_age=1800, path="/recover",
                        secure=auth.secure_cookies(g.snapshot))
    return response


def _code_page(status: int = 200, **extra):
    token = request.cookies.get(COOKIE)
    found = ctx().recovery.find(token)
    if found is None:
        return redirect(url_for("recovery.start"))
    view = ctx().recovery.view(g.snapshot, token, found)
    return render_template("recover_code.html", view=view, form_token=auth.presession_token(),
                           refresh=view.state in ("calling", "keying"), **extra), status


@blueprint.get("/recover/code")
def code():
    return _code_page()


def _posted(action):
    if not auth.form_csrf_ok():
        return _code_page(400, error="Страница устарела, попробуйте ещё раз.")
    refusal = action(request.cookies.get(COOKIE))
    if refusal:
        return _code_page(refusal.status, error=refusal.message)
    return redirect(url_for("recovery.code"))


@blueprint.post("/recover/call")
def call_again():
    return _posted(lambda token: ctx().recovery.call_again(g.snapshot, token, _address()))


@blueprint.post("/recover/sms")
def by_sms():
    return _posted(lambda token: ctx().recovery.by_sms(g.snapshot, token, _address()))


@blueprint.post("/recover/sms-code")
def sms_code():
    return _posted(lambda token: ctx().recovery.typed_code(g.snapshot, token, request.form.get("code", ""),
                                                           _address()))


@blueprint.post("/recover/password")
def password():
    if not auth.form_csrf_ok():
        return _code_page(400, error="Страница устарела, попробуйте ещё раз.")
    new, again = request.form.get("new", ""), request.form.get("again", "")
    if new != again:
        return _code_page(422, error="Новый пароль и повтор не совпадают.")
    employee, refusal = ctx().recovery.reset(g.snapshot, request.cookies.get(COOKIE), new, _address())
    if refusal:
        return _code_page(refusal.status, error=refusal.message)
    response = current_app.make_response(render_template("recover_done.html", employee=employee, phones=PHONES))
    response.delete_cookie(COOKIE, path="/recover")
    auth.clear_session_cookie(response, g.snapshot)
    return response


# --------------------------------------------------------------------------- API

def _token() -> str:
    return request.headers.get("X-Recovery-Token", "")


def _status(token: str):
    found = ctx().recovery.find(token)
    if found is None:
        return error(404, "not_found", "Запрос не найден. Начните заново.")
    return jsonify(ctx().recovery.view(g.snapshot, token, found).to_dict())


@api_blueprint.post("/password-recovery")
def api_ask():
    body = json_body()
    if body is None or not isinstance(body.get("login"), str):
        return error(400, "bad_request", "Нужен JSON: {\"login\": \"логин или внутренний номер\"}.")
    token, refusal = ctx().recovery.request(g.snapshot, body["login"], _address())
    if refusal:
        return error(refusal.status, refusal.code, refusal.message, refusal.retry_after)
    found = ctx().recovery.find(token)
    data = ctx().recovery.view(g.snapshot, token, found).to_dict()
    data.update(token=token, message="Если у этого сотрудника есть личный мобильный, мы звоним на него. Ответьте и "
                                     "наберите код.")
    return jsonify(data), 202


@api_blueprint.get("/password-recovery")
def api_status():
    return _status(_token())


def _api_action(action):
    if json_body() is None:
        return error(415, "json_required", "Нужен JSON (Content-Type: application/json).")
    refusal = action(_token())
    if refusal:
        return error(refusal.status, refusal.code, refusal.message, refusal.retry_after)
    return _status(_token())


@api_blueprint.post("/password-recovery/call")
def api_call_again():
    return _api_action(lambda token: ctx().recovery.call_again(g.snapshot, token, _address()))


@api_blueprint.post("/password-recovery/sms")
def api_sms():
    return _api_action(lambda token: ctx().recovery.by_sms(g.snapshot, token, _address()))


@api_blueprint.post("/password-recovery/sms-code")
def api_sms_code():
    code = str((json_body() or {}).get("code", ""))
    return _api_action(lambda token: ctx().recovery.typed_code(g.snapshot, token, code, _address()))


@api_blueprint.post("/password-recovery/password")
def api_password():
    body = json_body()
    if body is None or not isinstance(body.get("password"), str):
        return error(400, "bad_request", "Нужен JSON: {\"password\": \"новый пароль\"}.")
    employee, refusal = ctx().recovery.reset(g.snapshot, _token(), body["password"], _address())
    if refusal:
        return error(refusal.status, refusal.code, refusal.message)
    return jsonify(ok=True, login=employee.login, message="Пароль изменён. " + PHONES)
