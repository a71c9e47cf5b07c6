"""The Flask application of `callrouter web` (app factory; the process is in server.py).

Everything the app needs is injected through `WebContext`: the current snapshot
(a function, so a reload is seen by the next request), the store, the metrics,
the clock, how to run CPU-bound work off the event loop, and the scope rule.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from config.snapshot import Snapshot
from daemon.web import auth
from daemon.web.metrics import WebMetrics
from daemon.web.signin import SignIn
from store.offhub import off_hub
from store.web import WebStore

log = logging.getLogger(__name__)

NO_VIEWER = ("static", "ops.health", "ops.metrics_page")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class CpuPool:
    """Native threads for argon2, fewer than the CPUs.

    argon2-cffi releases the GIL, so a check in a thread leaves the event loop free;
    but ten checks at once on ten threads would take every core from it, and every
    other request would wait for the CPU. With one core always left to the loop, a
    burst of sign-ins queues here instead (measured in bench/web_signin_bench.py).
    Its threads also run at a lower priority (Linux nice 10, per thread), so the
    loop's thread and the database get the CPU first.
    """

    def __init__(self, size: int | None = None):
        self.size = size or max(1, (os.cpu_count() or 2) - 1)
        self._pool = None

    def __call__(self, fn, *args):
        if self._pool is None:                 # made on first use, in the serving process
            from gevent.threadpool import ThreadPool
            self._pool = ThreadPool(self.size)
        return self._pool.apply(_niced, (fn, args))


_NICE = 10


def _niced(fn, args):
    """`fn(*args)` in a pool thread, the thread niced once (a thread's own priority on Linux)."""
    import threading
    local = _niced.__dict__.setdefault("local", threading.local())
    if not getattr(local, "done", False):
        local.done = True
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)
        except (AttributeError, OSError):      # not Linux, or not allowed: run at the usual priority
            pass
    return fn(*args)


in_threadpool = CpuPool()


def _default_scope_for(login, snapshot):
    from config.access import scope_for
    return scope_for(login, snapshot)


@dataclass
class WebContext:
    config: Callable[[], Snapshot]
    store: object                                       # store.database.Store
    metrics: WebMetrics = field(default_factory=WebMetrics)
    clock: Callable[[], dt.datetime] = utc_now
    run_cpu: Callable = in_threadpool
    scope_for: Callable = _default_scope_for

    def db(self, query, *args):
        """`query(store, *args)` for the history pages: a long SQLite query in a native thread
        (sqlite3 releases the GIL), so it never holds up other requests; PostgreSQL's
        driver cooperates with gevent and runs in place (as store/offhub.py does for the daemon)."""
        return off_hub(self.store, query, self.store, *args)

    def __post_init__(self):
        self.web = WebStore(self.store)
        self.signin = SignIn(self.store, self.web, self.metrics, self.clock, self.run_cpu,
                             lambda login, snapshot: self.scope_for(login, snapshot) is not None)
        from daemon.web.recovery import Recovery
        self.recovery = Recovery(self)


def ctx() -> WebContext:
    """The context of the app serving this request."""
    return current_app.extensions["callrouter"]


def create_app(ctx: WebContext) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.extensions["callrouter"] = ctx
    app.config.update(JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=64 * 1024)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from daemon.web import api, pages, ops
    app.register_blueprint(ops.blueprint)
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    app.register_blueprint(pages.blueprint)
    from daemon.web import recovery_pages
    app.register_blueprint(recovery_pages.blueprint)
    app.register_blueprint(recovery_pages.api_blueprint, url_prefix="/api/v1")
    pages.install_filters(app)
    from daemon.web import recordings               # issue 11: recordings and their audit log
    app.register_blueprint(recordings.blueprint)

    @app.before_request
    def _before():
        g.started = time.perf_counter()
        g.snapshot = ctx.config()
        g.viewer = None
        if request.endpoint not in NO_VIEWER and not (request.endpoint or "").endswith(".static"):
            g.viewer = auth.load_viewer()

    @app.after_request
    def _after(response):
        token = g.get("new_presession")
        if token:
            response.set_cookie(auth.PRESESSION_COOKIE, token, httponly=True, samesite="Lax", max_age=3600,
                                secure=auth.secure_cookies(g.snapshot), path="/")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                    "frame-ancestors 'none'; form-action 'self'")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        ctx.metrics.requests_total.labels(route=route, status=str(response.status_code)).inc()
        if "started" in g:
            ctx.metrics.request_seconds.labels(route=route).observe(time.perf_counter() - g.started)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = MESSAGES.get(exc.code, exc.name)
        if exc.description and exc.description != type(exc).description:      # abort(400, "why")
            message = exc.description
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=message), exc.code
        return render_template("error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        log.exception("request %s %s failed", request.method, request.path)
        if request.path.startswith("/api/"):
            return jsonify(error="internal_error", message=MESSAGES[500]), 500
        return render_template("error.html", code=500, message=MESSAGES[500]), 500

    return app


MESSAGES = {
    400: "Неверный запрос.",
    401: "Нужно войти.",
    403: "Недостаточно прав.",
    404: "Не найдено.",
    405: "Метод не поддерживается.",
    413: "Слишком большой запрос.",
    415: "Нужен JSON (Content-Type: application/json).",
    500: "Внутренняя ошибка сервера. Попробуйте позже.",
}
