"""The daemon under test beside a simulated FreeSWITCH, over loopback, in this process.

    with Harness(COMPANY, tmp_path, now=MONDAY_NOON) as h:
        h.sim.employee("ivan.petrov", answer_after=3)      # before or after start()
        call = h.call("201")                               # placed, then waited for
        assert call.answered_by == "ivan.petrov"
        (record,) = h.history()                            # the daemon's call record, flushed

* `company` is the YAML of the `company`, `departments` and `employees` sections; the
  harness appends the `daemon`, `freeswitch` and `store` sections that point the daemon
  at the simulator, free ports and a SQLite file under `tmp_path` (or `store_url`).
* Time: the simulator runs on a scaled clock (`scale=0.01`: 20 sim-s take 0.2 s), and
  the daemon's `now` is :class:`SimDateTime`, a fixed aware datetime that moves on with
  sim seconds, so a ring's 20 s are 20 s for the daemon too.  `h.clock.set(when)` jumps.
* The daemon's own bounds (command timeout, linger wait, ring margins) stay in real
  seconds: at scale 0.01 they are 100 times more generous than on a real switch.
* `socket_mode` ("sync", the default, or "async") is how the simulator runs the socket
  application and what the daemon's `daemon.socket_mode` says; a shared `sim` decides.

`Harness` starts on `start()` or `with`; several can share one `sim` (two daemons, one
switch) or one `store_url` (two daemons, one PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Optional

import gevent
import gevent.socket
from prometheus_client import CollectorRegistry

from daemon.app import App
from daemon.executor import CallBounds
from daemon.outbound import OutboundServer
from daemon.recording_disk import RecordingDisk
from store.calls import HistoryQuery
from store.records import CallRecord
from tests.fakeswitch import FakeSwitch, SimCall

DOMAIN = "pbx.romashka.local"
PASSWORD = "ClueCon"
SCALE = 0.01
#: Real seconds a test waits for anything the harness waits on (a call, readiness, records).
WAIT = 5.0

RUNTIME_SECTIONS = """
daemon:
  listen: 127.0.0.1:0
  http: 127.0.0.1:0
  linger: {linger}
  drain_timeout: {drain_timeout}
  command_timeout: {command_timeout}
  socket_mode: {socket_mode}
freeswitch:
  host: {fs_host}
  port: {fs_port}
  password: {password}
store:
  url: "{store_url}"
  spool: "{spool}"
"""


class SimDateTime:
    """The daemon's `now`: `start` at the moment of creation, then moving with sim seconds.

    Routing sees a fixed, chosen instant (a Monday noon, a holiday...) give or take the
    few sim seconds a scenario lasts; records and longest-idle times advance like the
    simulator's ring timers do.
    """

    def __init__(self, start: dt.datetime, sim_seconds: Callable[[], float]):
        if start.tzinfo is None:
            raise ValueError("the daemon's clock must be aware")
        self._sim_seconds = sim_seconds
        self.set(start)

    def set(self, when: dt.datetime) -> None:
        """From now on the daemon's clock reads `when` (plus the sim seconds that follow)."""
        self._base = when
        self._base_sim = self._sim_seconds()

    def advance(self, seconds: float) -> None:
        """Jump ahead (an hour between two calls) without anyone waiting for it."""
        self._base += dt.timedelta(seconds=seconds)

    def __call__(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=self._sim_seconds() - self._base_sim)


def wait_until(predicate: Callable[[], object], timeout: float = WAIT, what: str = "condition") -> None:
    """Poll `predicate` cooperatively (the daemon and the simulator run meanwhile)."""
    with gevent.Timeout(timeout, AssertionError(f"timed out after {timeout:g} s waiting for {what}")):
        while not predicate():
            gevent.sleep(0.005)


class Harness:
    """One daemon (App) under test and its simulator; see the module docstring."""

    def __init__(self, company: str, tmp_path: Path, *, now: dt.datetime, sim: Optional[FakeSwitch] = None,
                 scale: float = SCALE, seed: int = 0, store_url: Optional[str] = None, name: str = "company",
                 linger: int = 1, drain_timeout: int = 5, watch_interval: float = 3600.0,
                 sim_options: Optional[dict] = None, socket_mode: str = "sync",
                 command_timeout: float = 5, bounds: Optional[CallBounds] = None,
                 recording_disk: Optional[RecordingDisk] = None):
        self.tmp_path = Path(tmp_path)
        self._own_sim = sim is None
        self.sim = sim or FakeSwitch(domain=DOMAIN, password=PASSWORD, scale=scale, seed=seed,
                                     socket_mode=socket_mode, **(sim_options or {}))
        self.socket_mode = self.sim.socket_mode
        self.clock = SimDateTime(now, self.sim.now)
        self.config_path = self.tmp_path / f"{name}.yaml"
        self._name = name
        self._store_url = store_url or f"sqlite:///{self.tmp_path / (name + '.sqlite3')}"
        self._runtime = {"linger": linger, "drain_timeout": drain_timeout, "command_timeout": command_timeout}
        self._outbound = {key: value for key, value in (("bounds", bounds), ("recording_disk", recording_disk))
                          if value is not None}
        self._watch_interval = watch_interval
        self.registry = CollectorRegistry()
        self.app: Optional[App] = None
        self._company = company
        self._stopped = False

    # ------------------------------------------------------------------ life cycle

    def start(self, wait_ready: bool = True) -> "Harness":
        if self._own_sim:
            self.sim.start()
        self.write_config(self._company)
        self.app = App(str(self.config_path), now=self.clock, registry=self.registry,
                       listen="127.0.0.1:0", http="127.0.0.1:0", notify=lambda state: None,
                       watch_interval=self._watch_interval, **self._outbound_factory())
        self.app.start()
        if wait_ready:
            self.wait_ready()
        return self

    def _outbound_factory(self) -> dict:
        """`bounds`: the daemon's own bounds on a call, when a test needs them to run out;
        `recording_disk`: where the recordings' file-system calls run (a stalled disk)."""
        if not self._outbound:
            return {}
        given = self._outbound
        return {"outbound_factory": lambda listen, **kwargs: OutboundServer(listen, **given, **kwargs)}

    def stop(self) -> None:
        """Stop the daemon (draining calls in progress), then the simulator if it is ours."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.app is not None:
                self.app.stop()
        finally:
            if self._own_sim:
                self.sim.stop()

    def __enter__(self) -> "Harness":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_ready(self, timeout: float = WAIT) -> None:
        """The daemon is ready (/readyz 200): inbound ESL up, registrations loaded."""
        wait_until(lambda: self.app.readiness()[0], timeout, "the daemon to be ready")

    # ------------------------------------------------------------------ config

    def config_text(self, company: str) -> str:
        host, port = self.sim.inbound_address[:2]
        return company.rstrip() + "\n" + RUNTIME_SECTIONS.format(
            fs_host=host, fs_port=port, password=self.sim.password, store_url=self._store_url,
            spool=self.tmp_path / f"{self._name}.spool", socket_mode=self.socket_mode, **self._runtime)

    def write_config(self, company: str) -> None:
        """Write the company file (with the runtime sections); `reload()` applies it."""
        self._company = company
        self.config_path.write_text(self.config_text(company), encoding="utf-8")

    def reload(self, company: Optional[str] = None) -> bool:
        """Rewrite the file when `company` is given, then reload as SIGHUP does."""
        if company is not None:
            self.write_config(company)
        return self.app.reload()

    # ------------------------------------------------------------------ calls

    @property
    def address(self) -> tuple[str, int]:
        """The daemon's outbound ESL address (what the dialplan's `socket` connects to)."""
        return self.app.outbound.address

    def place(self, destination: str, **options) -> SimCall:
        """Place a call through the daemon without waiting (see FakeSwitch.place_call)."""
        return self.sim.place_call(self.address, destination, **options)

    def call(self, destination: str, timeout: float = WAIT, **options) -> SimCall:
        """Place a call and wait until the caller's channel is gone."""
        call = self.place(destination, **options)
        if not call.wait(timeout):
            raise AssertionError(f"call to {destination} did not end within {timeout:g} s")
        return call

    def settle(self, timeout: float = WAIT) -> None:
        """Every call handler has finished (records submitted, metrics final)."""
        wait_until(lambda: self.app.outbound.active == 0, timeout, "the daemon's calls to finish")

    # ------------------------------------------------------------------ presence

    def employee(self, login: str, **behaviour) -> None:
        """Declare (or redeclare) `login`'s phones in the simulator (see FakeSwitch.employee)
        and wait until the daemon's presence agrees on whether they are registered."""
        self.sim.employee(login, **behaviour)
        registered = behaviour.get("registered", True)
        wait_until(lambda: self.app is None or self.app.presence.is_registered(login) == registered,
                   what=f"{login} {'registered' if registered else 'unregistered'} in presence")

    def register(self, login: str) -> None:
        """Register `login`'s phones in the simulator and wait until the daemon knows."""
        self.sim.register(login)
        wait_until(lambda: self.app.presence.is_registered(login), what=f"{login} registered in presence")

    def unregister(self, login: str) -> None:
        """Unregister `login`'s phones and wait until the daemon's presence says so."""
        self.sim.unregister(login)
        wait_until(lambda: not self.app.presence.is_registered(login), what=f"{login} unregistered in presence")

    # ------------------------------------------------------------------ what a user sees

    def history(self, query: HistoryQuery = HistoryQuery(), timeout: float = WAIT) -> list[CallRecord]:
        """The store's call history once every finished call's record is written."""
        self.settle(timeout)
        if not self.app.store.records.flush(timeout):
            raise AssertionError("call records were not written in time")
        return self.app.store.store.history(query)

    def record_of(self, call: SimCall) -> CallRecord:
        """The stored record of one simulated call (exactly one must exist)."""
        found = [record for record in self.history() if record.uuid == call.uuid]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} records of call {call.uuid}")
        return found[0]

    def metric(self, name: str, **labels: str) -> float:
        """A sample from the daemon's registry (0 when never set)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def http_get(self, path: str, timeout: float = WAIT) -> tuple[int, bytes]:
        """(status, body) of a GET on the daemon's HTTP port, made cooperatively."""
        host, port = self.app.http.address[:2]
        with gevent.socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


def rung(call: SimCall) -> list[list[str]]:
    """Per bridge, the targets whose leg actually started ringing (in dial order)."""
    return [[leg.target for leg in bridge.legs if leg.start is not None] for bridge in call.bridges]
