"""The daemon's small HTTP server: metrics, liveness, readiness, and extra routes.

- `/metrics`: Prometheus text from the daemon's own registry;
- `/healthz`: 200 "ok" while the process runs (systemd/k8s liveness);
- `/readyz`: 200 when the config is loaded and the inbound ESL link is up, else
  503 with the reason, so a balancer stops sending calls to a daemon that is blind;
- `routes`: more paths added by other parts (e.g. the mod_xml_curl directory), each
  a function of the WSGI environ returning (status, content type, body).

With `probes=False` a server serves its `routes` only: the SIP directory on a
listener of its own (daemon.directory_listen), apart from /metrics.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Callable, Mapping, Optional

from gevent.pywsgi import WSGIServer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from daemon.metrics import Metrics

log = logging.getLogger(__name__)

Handler = Callable[[dict], tuple[int, str, bytes]]
TEXT = "text/plain; charset=utf-8"


class HttpServer:
    def __init__(self, address: tuple[str, int], metrics: Metrics,
                 ready: Callable[[], tuple[bool, str]],
                 routes: Optional[Mapping[str, Handler]] = None, *, probes: bool = True):
        self._metrics = metrics
        self._ready = ready
        self._routes: dict[str, Handler] = {
            "/metrics": self._metrics_page,
            "/healthz": lambda environ: (200, TEXT, b"ok\n"),
            "/readyz": self._readiness,
        } if probes else {}
        self._routes.update(routes or {})
        self._server = WSGIServer(address, self._app, log=None, error_log=log)

    def start(self) -> None:
        self._server.start()
        log.info("HTTP on %s:%d (%s)", *self.address, " ".join(sorted(self._routes)))

    def stop(self, timeout: float = 1.0) -> None:
        self._server.stop(timeout=timeout)

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the real port when 0 was asked for)."""
        host, port = self._server.address[:2]
        return host, port

    def add_route(self, path: str, handler: Handler) -> None:
        self._routes[path] = handler

    # ----------------------------------------------------------------------- WSGI

    def _app(self, environ: dict, start_response) -> list[bytes]:
        handler = self._routes.get(environ.get("PATH_INFO", ""))
        if handler is None:
            status, ctype, body = 404, TEXT, b"not found\n"
        else:
            try:
                status, ctype, body = handler(environ)
            except Exception:
                log.exception("HTTP handler for %s failed", environ.get("PATH_INFO"))
                status, ctype, body = 500, TEXT, b"internal error\n"
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _metrics_page(self, environ: dict) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, generate_latest(self._metrics.registry)

    def _readiness(self, environ: dict) -> tuple[int, str, bytes]:
        ok, reason = self._ready()
        return (200 if ok else 503), TEXT, (reason or ("ready" if ok else "not ready")).encode() + b"\n"
