"""A running OutboundServer on a free loopback port, with everything it needs injected."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import gevent.event
import gevent.queue
import pytest

from config.models import Company, ConfigFile, DaemonSettings
from config.snapshot import Snapshot
from daemon.executor import CallBounds
from daemon.metrics import Metrics
from daemon.outbound import OutboundServer
from routing.types import Leg, Plan, Step

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
SNAPSHOT = Snapshot.build(ConfigFile(company=Company(name="Acme", domain="example.com")))
DIALLED = "2000"                     # Caller-Destination-Number of the transcript's connect reply


def office(login: str, timeout: int = 20, delay: int = 0) -> Leg:
    variables = f"leg_delay_start={delay},leg_timeout={timeout}" if delay else f"leg_timeout={timeout}"
    return Leg("office", login, delay, timeout, f"[{variables}]user/{login}@example.com")


def mobile(login: str, number: str, timeout: int = 20, delay: int = 0) -> Leg:
    return Leg("mobile", login, delay, timeout,
               f"[leg_delay_start={delay},leg_timeout={timeout}]sofia/gateway/trunk/{number}")


def ring(*legs: Leg, timeout: int = 20, target: str = "employee:ivan", reason: str = "direct") -> Step:
    return Step("ring", legs=legs, timeout=timeout, dial=",".join(leg.dial for leg in legs), target=target,
                reason=reason)


def plan(*steps: Step, reason: str = "working", target: str = "employee:ivan", kind: str = "employee") -> Plan:
    return Plan(reason=reason, target=target, steps=steps, kind=kind)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Records:
    """RecordSink that hands records to the test."""
    def __init__(self) -> None:
        self.queue: gevent.queue.Queue = gevent.queue.Queue()

    def submit(self, record) -> None:
        self.queue.put(record)

    def next(self, timeout: float = 5.0):
        return self.queue.get(timeout=timeout)


class Planner:
    """routing.plan's signature; answers from a table by dialled number."""
    def __init__(self) -> None:
        self.table: dict[str, object] = {}
        self.calls = []

    def __call__(self, call, snapshot, now, presence=None, rotation=None, overrides=None, live=None) -> Plan:
        assert now.tzinfo is not None
        self.calls.append(call)
        answer = self.table[call.destination]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Daemon:
    def __init__(self, settings: Optional[DaemonSettings] = None, bounds: Optional[CallBounds] = None):
        self.metrics = Metrics()
        self.records = Records()
        self.planner = Planner()
        self.clock = Clock()
        self.answered: list[tuple[str, str]] = []
        self._answered = gevent.event.Event()
        self.server = OutboundServer(
            ("127.0.0.1", 0), snapshot=lambda: SNAPSHOT, now=self.clock, metrics=self.metrics,
            records=self.records, planner=self.planner,
            settings=settings or DaemonSettings(command_timeout=0.5, linger=1),
            bounds=bounds or CallBounds(ring_margin=0.5, linger_margin=0.5),
            on_answered=self._on_answered)

    def _on_answered(self, department: str, login: str) -> None:
        self.answered.append((department, login))
        self._answered.set()

    def wait_answered(self) -> None:
        """The daemon has taken in the CHANNEL_BRIDGE (its on_answered hook ran)."""
        assert self._answered.wait(5)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def route(self, answer, dialled: str = DIALLED) -> None:
        self.planner.table[dialled] = answer

    def value(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    def settled(self) -> None:
        """Every call handler has finished (its metrics are final)."""
        assert self.server.drain(5) == 0


@pytest.fixture
def daemon():
    d = Daemon()
    d.server.start()
    yield d
    d.server.close()
