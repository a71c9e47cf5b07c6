"""The `callrouter web` process: config reload, the WSGI server, signals.

The config is held and reloaded exactly as the daemon does it (ConfigHolder,
ConfigWatcher): SIGHUP or a change of the file loads it again; a bad file is
refused and the old snapshot keeps serving.  Each request reads the snapshot
current when it starts, so a removed employee's sessions end at their next request.
`web.listen` is bound once: a reload that changes it only warns.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import socket
from typing import Optional

import gevent
from gevent.event import Event
from gevent.pywsgi import WSGIServer

from config.loader import load
from daemon import sdnotify
from daemon.app import parse_address
from store.loop import Loop
from daemon.config_reload import ConfigHolder, ConfigWatcher
from daemon.web.app import WebContext, create_app
from daemon.web.metrics import WebMetrics
from store.database import Store
from store.web import WebStore

log = logging.getLogger(__name__)


class NoDelayWSGIServer(WSGIServer):
    """gevent's WSGIServer with Nagle's algorithm off on each connection.

    pywsgi may write a response in more than one segment; with Nagle on, the second
    waits for the ACK of the first, which a client on a kept-alive connection delays
    by up to 40 ms (measured: 50 ms per request instead of a few)."""

    def handle(self, sock, address):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:                        # not TCP (a test's socket pair)
            pass
        return super().handle(sock, address)


class SessionSweeper(Loop):
    """Deletes sessions idle past `web.session_idle` (they are refused anyway; this keeps the table small)."""

    def __init__(self, web: WebStore, holder: ConfigHolder, interval: float = 600.0):
        self._web, self._holder, self._interval = web, holder, interval

    def _run(self) -> None:
        while True:
            idle = dt.timedelta(seconds=self._holder.current().file.web.session_idle)
            try:
                ended = self._web.end_idle_sessions(dt.datetime.now(dt.timezone.utc) - idle)
                if ended:
                    log.info("ended %d idle web sessions", ended)
            except Exception:                         # the database is away: try again later
                log.warning("could not sweep idle web sessions", exc_info=True)
            gevent.sleep(self._interval)


class WebProcess:
    def __init__(self, path: str, *, listen: Optional[str] = None):
        self.metrics = WebMetrics()
        self.holder = ConfigHolder(path, loader=load, metrics=self.metrics)
        snapshot = self.holder.current()
        self.store = Store.for_snapshot(snapshot)
        self.store.ensure_schema()           # SQLite: created or upgraded in place; PostgreSQL: checked
        self.listen = listen or snapshot.file.web.listen
        self.ctx = WebContext(config=self.holder.current, store=self.store, metrics=self.metrics)
        self.app = create_app(self.ctx)
        self.server = NoDelayWSGIServer(parse_address(self.listen), self.app, log=None, error_log=log)
        self.watcher = ConfigWatcher(self.holder, on_reload=self._after_reload)
        self.sweeper = SessionSweeper(self.ctx.web, self.holder)
        self._stop = Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.address[:2]
        return host, port

    def start(self) -> None:
        self.server.start()
        self.watcher.start()
        self.sweeper.start()
        log.info("callrouter web on http://%s:%d/ (store %s)", *self.address, self.store.describe())
        sdnotify.notify(sdnotify.READY)

    def serve_forever(self) -> int:
        self.start()
        handlers = [gevent.signal_handler(signal.SIGTERM, self._stop.set),
                    gevent.signal_handler(signal.SIGINT, self._stop.set),
                    gevent.signal_handler(signal.SIGHUP, lambda: gevent.spawn(self._reload))]
        try:
            self._stop.wait()
        finally:
            for handler in handlers:
                handler.cancel()
            sdnotify.notify(sdnotify.STOPPING)
            self.stop()
        return 0

    def stop(self) -> None:
        self.watcher.stop()
        self.sweeper.stop()
        self.server.stop(timeout=5)
        self.store.close()
        log.info("callrouter web stopped")

    def _reload(self) -> None:
        log.info("SIGHUP: reloading %s", self.holder.path)
        self._after_reload(self.holder.reload())

    def _after_reload(self, ok: bool) -> None:
        if ok and self.holder.current().file.web.listen != self.listen:
            log.warning("web.listen changed to %s: restart callrouter web to listen there (still on %s)",
                        self.holder.current().file.web.listen, self.listen)
