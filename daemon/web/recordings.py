"""Call recordings in «Личный кабинет»: playing, downloading, and the listening audit log.

A recording is addressed by its call (`/calls/UUID/recording`), never by a path on
disk, and exists for a viewer only when `store.recordings.playable` finds it: the
call inside their scope (the history's own rule; users never see internal calls),
`can_listen_recordings`, and a good recording. Anything else is 404, as for a call.

Served with Range support (the browser's player seeks; Safari will not play audio
without 206 answers) and `Cache-Control: private, no-store`: a shared cache must
never keep a conversation.

Audit: every listen and every download is logged (who, which call, when, from
where). A player fetches a file in several ranged requests as it seeks; a request
from the start of the file (no Range, or `bytes=0-…`) counts as a listen, the
others continue it.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, send_file

from werkzeug.exceptions import RequestedRangeNotSatisfiable

from config.recording import recordings_dir
from daemon.web import api, auth, pages
from daemon.web.app import ctx
from store import export as csv_export
from store import recordings

blueprint = Blueprint("recordings", __name__)

MIMETYPE = "audio/wav"
PAGE = 100
LOG_COLUMNS = ("at", "login", "call_uuid", "action", "address")
LOG_HEADERS_RU = ("Время", "Сотрудник", "ID звонка", "Действие", "Адрес")
ACTIONS_RU = {"listen": "прослушивание", "download": "скачивание"}


# --------------------------------------------------------------------------- the file

@blueprint.get("/calls/<uuid>/recording")
@pages.signed_in
def page_recording(uuid: str):
    return _serve(uuid) or abort(404)


@blueprint.get("/api/v1/calls/<uuid>/recording")
@api.signed_in
def api_recording(uuid: str):
    return _serve(uuid) or api.error(404, "not_found", "Не найдено.")


def _serve(uuid: str):
    """The file as a (partial) response, or None for 404; logs the listen or download."""
    found = ctx().db(recordings.playable, g.viewer.scope, uuid)
    path = recordings.resolve(recordings_dir(g.snapshot), found.path) if found is not None else None
    if path is None or not path.is_file():
        return None
    download = request.args.get("download") in ("1", "true")
    if request.method != "HEAD" and (download or _from_start(request.headers.get("Range"))):
        ctx().db(recordings.log_access, ctx().clock(), g.viewer.employee.login, uuid,
                 "download" if download else "listen", auth.client_address(g.snapshot))
    try:
        response = send_file(path, mimetype=MIMETYPE, conditional=True, etag=True, max_age=None,
                             as_attachment=download, download_name=f"{uuid}.wav")
    except RequestedRangeNotSatisfiable as exc:
        response = Response(status=416)
        response.headers["Content-Range"] = f"{exc.units or 'bytes'} */{exc.length}"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Accept-Ranges"] = "bytes"
    return response


def _from_start(header) -> bool:
    """No Range, or one that starts at byte 0: the start of a listen (see the module's docstring)."""
    if not header:
        return True
    unit, _, spec = header.partition("=")
    return unit.strip() == "bytes" and spec.strip().startswith("0-")


# --------------------------------------------------------------------------- the audit log

@blueprint.get("/admin/recordings/log")
@pages.admin_only
def admin_log():
    before = request.args.get("before", type=int)
    rows = ctx().db(recordings.accesses, PAGE, before)
    return render_template("listens.html", rows=rows, actions=ACTIONS_RU, names=_names(),
                           next=rows[-1].id if len(rows) == PAGE else None)


@blueprint.get("/admin/recordings/log.csv")
@pages.admin_only
def admin_log_csv():
    return _csv(LOG_HEADERS_RU, russian=True)


@blueprint.get("/api/v1/recording-accesses")
@api.admin_only
def api_log():
    if request.accept_mimetypes.best == "text/csv":
        return _csv(LOG_COLUMNS, russian=False)
    before = request.args.get("before", type=int)
    limit = max(1, min(request.args.get("limit", PAGE, type=int), 500))
    zone = auth.viewer_zone()
    rows = ctx().db(recordings.accesses, limit, before)
    return jsonify(accesses=[{"id": r.id, "at": r.at.astimezone(zone).isoformat(), "login": r.login,
                              "call_uuid": r.call_uuid, "action": r.action, "address": r.address} for r in rows],
                   next=rows[-1].id if len(rows) == limit else None)


def _csv(headers, russian: bool) -> Response:
    zone = auth.viewer_zone()
    store = ctx().store

    def cells(r):
        at = r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        return (at, r.login, r.call_uuid, ACTIONS_RU.get(r.action, r.action) if russian else r.action, r.address)

    body = csv_export.csv_chunks(headers, (cells(r) for r in recordings.iter_accesses(store)))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="recording-accesses.csv"'
    return response


def _names() -> dict[str, str]:
    return {e.login: f"{e.name} ({e.extension})" for e in g.snapshot.by_login.values()}
