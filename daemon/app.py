"""The daemon process: its parts wired together, reload, signals and drain.

    App(path)           load the config (ConfigError if it is bad: nothing starts)
    .start()            outbound ESL server, HTTP, inbound ESL supervisor, file watcher
    .serve_forever()    start, then run until SIGTERM/SIGINT; SIGHUP reloads
    .stop()             stop taking calls, let calls in progress finish (up to
                        daemon.drain_timeout), cut the rest, close everything

Reload swaps the snapshot that new calls read; calls in progress keep theirs, and
the replaced one is freed off the call path once the last of them ends.  The heap
is compacted (collected, then frozen) four times a second, so that no garbage
collection pauses calls for long (daemon.heap).
The listening addresses are bound once: a reload that changes them only warns.
A change of the FreeSWITCH address, password or the SIP domain reconnects the
inbound link, whose presence view depends on them.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
from typing import TYPE_CHECKING, Callable, Mapping, Optional

import gevent
from gevent.event import Event
from prometheus_client import CollectorRegistry

from config.loader import load
from config.snapshot import Snapshot
from daemon import heap, sdnotify
from daemon.config_reload import ConfigHolder, ConfigWatcher, Loader
from daemon.directory import DIRECTORY_PATH, make_directory_handler
from daemon.hangups import Hangups
from daemon.http import Handler, HttpServer
from daemon.inbound import InboundSupervisor
from daemon.inbound_commands import InboundCommands
from daemon.metrics import Metrics
from daemon.presence import PresenceView
from daemon.storage import DaemonStore
from store import offhub

if TYPE_CHECKING:
    from routing.fast.live import LiveMasks

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_address(text: str) -> tuple[str, int]:
    """"127.0.0.1:8084" -> ("127.0.0.1", 8084); "[::1]:8084" works too."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"an address is HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def load_for_routing(path: str) -> Snapshot:
    """Load the file and build routing's per-snapshot index before the first call needs it."""
    import routing
    snapshot = load(path)
    routing.prepare(snapshot)
    return snapshot


def routing_parts(snapshot: Snapshot) -> tuple:
    """What routing keeps for a snapshot `load_for_routing` loaded: its index (built then,
    so this only looks it up), which goes when the snapshot goes."""
    from routing.fast.index import index_for
    return (index_for(snapshot),)


def _store_busy() -> bool:
    """A store call or a load under way (what the heap must not freeze in the middle of)."""
    return offhub.in_progress() > 0 or len(gevent.get_hub().threadpool) > 0


def _outbound_server(listen: tuple[str, int], **kwargs):
    from daemon.outbound import OutboundServer      # the call path; imported where it is used
    return OutboundServer(listen, **kwargs)


class App:
    def __init__(self, config_path: str, *,
                 now: Callable[[], dt.datetime] = utc_now,
                 registry: Optional[CollectorRegistry] = None,
                 listen: Optional[str] = None,
                 http: Optional[str] = None,
                 loader: Loader = load_for_routing,
                 notify: Callable[[str], object] = sdnotify.notify,
                 watch_interval: float = 1.0,
                 routes: Optional[Mapping[str, Handler]] = None,
                 outbound_factory=_outbound_server,
                 store_factory: Callable[..., DaemonStore] = DaemonStore):
        self.metrics = Metrics(registry)
        self.compactor = heap.Compactor(busy=_store_busy)
        self.retirement = heap.Retirement()
        self._parts_of = routing_parts if loader is load_for_routing else (lambda snapshot: ())
        self.config = ConfigHolder(config_path, loader=loader, metrics=self.metrics,
                                   settle=self.compactor.settle, retire=self._retire)
        self._notify = notify
        snapshot = self.config.current()
        self.settings = snapshot.file.daemon
        self.store = store_factory(snapshot, self.metrics)     # SchemaError: refuse to start
        self.presence = PresenceView()
        self.hangups = Hangups()            # calls' ends heard on the inbound link, for lost sockets
        self.live = self._live_masks(snapshot)
        self.inbound = InboundSupervisor(
            lambda: self.config.current().file.freeswitch,
            lambda: self.config.current().company.domain,
            self.presence, self.metrics, hangups=self.hangups)
        self.outbound = outbound_factory(
            parse_address(listen or self.settings.listen),
            snapshot=self.config.current, now=now, metrics=self.metrics,
            presence=self.presence, settings=self.settings,
            records=self.store, rotation=self.store.state, overrides=self.store.state,
            overrides_writer=self.store.state, live=self.live,
            on_routed=self.store.on_routed, hangups=self.hangups,
            inbound=InboundCommands(lambda: self.config.current().file.freeswitch))
        self.http, self.directory_http = self._http_servers(http, routes)
        self.watcher = ConfigWatcher(self.config, interval=watch_interval, on_reload=self._after_reload)
        self._applied = snapshot
        self._stop_requested = Event()
        self._stopping = False
        self._started = False
        self._drainer: Optional[gevent.Greenlet] = None
        self._signal_handlers: list = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.store.start(self._applied)
        self.outbound.start()
        self.http.start()
        if self.directory_http is not None:
            self.directory_http.start()
        self.inbound.start()
        self.watcher.start()
        self.compactor.start()
        self._started = True
        host, port = self.outbound.address[:2]
        log.info("callrouter serving %s: outbound ESL on %s:%d, %d employees, %d departments",
                 self.config.path, host, port, len(self._applied.by_login), len(self._applied.departments))
        self._notify(sdnotify.READY)

    def serve_forever(self) -> int:
        """Run until SIGTERM or SIGINT, then drain and stop; the exit code (0)."""
        if not self._started:
            self.start()
        self._install_signal_handlers()
        try:
            self._stop_requested.wait()
            self.stop()
        finally:
            for handler in self._signal_handlers:
                handler.cancel()
        return 0

    def request_stop(self) -> None:
        """Ask `serve_forever` to drain and stop; asked again while draining: cut now."""
        if self._stop_requested.is_set():
            if self._drainer is not None and not self._drainer.dead:
                log.warning("asked again to stop: cutting the calls in progress now")
                self._drainer.kill(block=False)
            return
        self._stop_requested.set()

    def stop(self) -> int:
        """Stop taking calls, wait for the calls in progress, close; how many were cut."""
        if self._stopping:
            return 0
        self._stopping = True
        self._notify(sdnotify.STOPPING)
        self.watcher.stop()
        self.outbound.stop_accepting()
        timeout = self.config.current().file.daemon.drain_timeout
        active = self.outbound.active
        log.info("stopping: no new calls; waiting up to %d s for %d call(s) in progress", timeout, active)
        self._drainer = gevent.spawn(self.outbound.drain, timeout)
        self._drainer.join()
        cut = self.outbound.active
        self.outbound.close()
        self.inbound.stop()
        self.http.stop()
        if self.directory_http is not None:
            self.directory_http.stop()
        self.store.stop()
        self.compactor.stop()
        self.retirement.stop()
        if cut:
            log.warning("stopped: %d call(s) still in progress were cut", cut)
        else:
            log.info("stopped: no call was cut")
        return cut

    # ------------------------------------------------------------------ reload

    def reload(self) -> bool:
        """Load the config file again (SIGHUP); the old snapshot stays on failure."""
        self._notify(sdnotify.reloading())
        try:
            ok = self.config.reload()
            self._after_reload(ok)
            return ok
        finally:
            self._notify(sdnotify.READY)

    def _live_masks(self, snapshot: Snapshot) -> Optional[LiveMasks]:
        """What the live views say of departments' members, kept between calls and told
        of every change (routing.fast.live); only where routing has an index to serve."""
        if self._parts_of is not routing_parts:
            return None
        from routing.fast.live import LiveMasks
        live = LiveMasks(self.presence, self.store.state)
        self.presence.listeners.append(live.notice)
        self.store.state.listeners.append(live.notice)
        live.prepare(routing_parts(snapshot)[0])
        return live

    def _after_reload(self, ok: bool) -> None:
        if not ok:
            return
        old, new = self._applied, self.config.current()
        self._applied = new
        if self.live is not None:
            self.live.prepare(routing_parts(new)[0])
        self.store.sync_directory(new)
        if (old.file.daemon.listen, old.file.daemon.http, old.file.daemon.directory_listen) != \
                (new.file.daemon.listen, new.file.daemon.http, new.file.daemon.directory_listen):
            log.warning("daemon.listen/http/directory_listen changed in %s: restart the daemon to apply",
                        self.config.path)
        if old.file.freeswitch != new.file.freeswitch or old.company.domain != new.company.domain:
            log.info("FreeSWITCH settings or SIP domain changed: reconnecting the inbound ESL link")
            self.inbound.reconnect()

    def _http_servers(self, http: Optional[str], routes: Optional[Mapping[str, Handler]]
                      ) -> tuple[HttpServer, Optional[HttpServer]]:
        """The metrics/probes server, and the directory's own when daemon.directory_listen names one."""
        directory = {DIRECTORY_PATH: make_directory_handler(self.config.current, self._a1_for, metrics=self.metrics)}
        http_address = parse_address(http or self.settings.http)
        separate = self.settings.directory_listen
        # The same address is one listener, unless the port is 0: each then gets a port of its own.
        if separate is None or (parse_address(separate) == http_address and http_address[1] != 0):
            return HttpServer(http_address, self.metrics, self.readiness, {**directory, **(routes or {})}), None
        return (HttpServer(http_address, self.metrics, self.readiness, routes),
                HttpServer(parse_address(separate), self.metrics, self.readiness, directory, probes=False))

    def _retire(self, old: Snapshot) -> None:
        """Free a replaced snapshot and its routing index off the call path (daemon.heap)."""
        self.retirement.retire(old, *self._parts_of(old))

    def _a1_for(self, login: str) -> Optional[str]:
        return self.store.a1_for(login, self.config.current().company.domain)

    # ------------------------------------------------------------------ probes

    def readiness(self) -> tuple[bool, str]:
        """Ready = config loaded and inbound ESL connected, and not stopping."""
        if self._stopping:
            return False, "draining: not taking new calls"
        if not self.inbound.connected:
            return False, "inbound ESL to FreeSWITCH not connected"
        return True, "ready"

    @property
    def snapshot(self) -> Snapshot:
        return self.config.current()

    # ------------------------------------------------------------------ signals

    def _install_signal_handlers(self) -> None:
        self._signal_handlers = [
            gevent.signal_handler(signal.SIGTERM, self.request_stop),
            gevent.signal_handler(signal.SIGINT, self.request_stop),
            gevent.signal_handler(signal.SIGHUP, self._on_sighup),
        ]

    def _on_sighup(self) -> None:
        log.info("SIGHUP: reloading %s", self.config.path)
        self.reload()
