"""What the call-setup and held-calls benchmarks share.

- `BenchCompany`: a company from bench/company_gen.py written with the daemon, FreeSWITCH
  and store sections the bench needs, and what routing makes of it at the bench's clock
  (which destinations start by ringing, every login and mobile to put in the simulator);
- `start_simulator` / `populate`: the simulator (tests/fakeswitch) in this process, every
  employee registered and every phone answering after `ANSWER_AFTER` sim seconds;
- `Traffic` / `run_traffic`: calls at a fixed rate whether or not earlier ones were
  answered, shared out between this process's simulator and `SimWorker` processes
  (bench/sim_worker.py), each call reduced to its `Marks`;
- `ServerProcess`: a server under test (bench/daemon_process.py or
  bench/stock_greenswitch.py) in a process of its own, its CPU and memory from /proc;
  `DaemonSamples`: what the bench daemon recorded (setup latencies, hub lateness, GC);
- the arithmetic (quantiles, min/median/max) and a plain-text table.

Callers monkey-patch with gevent before importing this module: the simulator, the
processes' pipes and the HTTP probes all run on one hub.
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import math
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import gevent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.company_gen import company_yaml  # noqa: E402
from bench.procstat import ProcessUsage  # noqa: E402
from tests.fakeswitch import FakeSwitch  # noqa: E402

ANSWER_AFTER = 1.0               # sim seconds from a leg's start to its answer, for every phone
EXTERNAL_CALLER = "+7916{:07d}"  # a distinct external caller per call
PASSWORD = "ClueCon"
STARTUP_TIMEOUT = 300.0          # a cold 10,000-employee load on a busy 2-core box takes tens of seconds


# --------------------------------------------------------------------------- the company

@contextmanager
def workdir(keep: Optional[str]) -> Iterator[str]:
    """`keep` (created, left in place for reading the logs) or a temporary directory."""
    if keep:
        os.makedirs(keep, exist_ok=True)
        yield os.path.abspath(keep)
        return
    with tempfile.TemporaryDirectory(prefix="callrouter-bench-") as path:
        yield path


@dataclass(frozen=True)
class BenchCompany:
    path: str
    text: str
    employees: int
    departments: int
    domain: str
    logins: tuple[str, ...]
    mobiles: tuple[str, ...]             # E.164, as mobile legs dial them
    direct: tuple[str, ...]              # extensions whose plan starts by ringing
    department_lines: tuple[str, ...]    # department extensions whose plan starts by ringing
    login_of: dict                       # extension -> login, for `direct`

    @classmethod
    def write(cls, workdir: str, employees: int, at: dt.datetime, inbound: tuple[str, int],
              seed: int = 1) -> "BenchCompany":
        """Generate, write and analyse the company the daemon will serve from `workdir`."""
        departments = max(1, employees // 20)
        text = company_yaml(employees, departments, numbers=max(1, employees // 10), seed=seed)
        text += daemon_sections(workdir, inbound)
        path = os.path.join(workdir, "company.yaml")
        with open(path, "w") as f:
            f.write(text)
        return cls._analyse(path, text, employees, departments, at)

    @classmethod
    def _analyse(cls, path: str, text: str, employees: int, departments: int, at: dt.datetime) -> "BenchCompany":
        """Plan one call to every extension at `at`, as the daemon will with everyone registered.

        Only destinations whose plan starts with a ring are called: the others (off hours
        to voicemail, an absence's announcement) have no call setup to measure.
        """
        import routing
        from config.loader import load
        from routing.types import Call

        snapshot = load(path)
        caller = EXTERNAL_CALLER.format(0)

        def rings(extension: str) -> bool:
            plan = routing.plan(Call(destination=extension, caller=caller), snapshot, at)
            return bool(plan.steps) and plan.steps[0].action == "ring"

        direct = tuple(ext for ext in snapshot.by_extension if rings(ext))
        lines = tuple(ext for ext in snapshot.department_by_extension if rings(ext))
        return cls(path=path, text=text, employees=employees, departments=departments,
                   domain=snapshot.company.domain, logins=tuple(snapshot.by_login),
                   mobiles=tuple(e.mobile for e in snapshot.by_login.values() if e.mobile),
                   direct=direct, department_lines=lines,
                   login_of={ext: snapshot.by_extension[ext].login for ext in direct})

    def destinations(self, department_share: float, seed: int = 7) -> list[str]:
        """Every ringing extension once, shuffled, with department lines making up `department_share`."""
        rng = random.Random(seed)
        direct = list(self.direct)
        rng.shuffle(direct)
        if not self.department_lines or department_share <= 0:
            return direct
        count = round(len(direct) * department_share / (1 - department_share))
        lines = [self.department_lines[i % len(self.department_lines)] for i in range(count)]
        mixed = direct + lines
        rng.shuffle(mixed)
        return mixed


def daemon_sections(workdir: str, inbound: tuple[str, int]) -> str:
    """The sections company_gen leaves out: the simulator's ESL, a store in `workdir`."""
    return (f"daemon:\n  listen: 127.0.0.1:0\n  http: 127.0.0.1:0\n"
            f"freeswitch:\n  host: {inbound[0]}\n  port: {inbound[1]}\n  password: {PASSWORD}\n"
            f"store:\n  url: sqlite:///{os.path.join(workdir, 'callrouter.sqlite3')}\n"
            f"  spool: {os.path.join(workdir, 'records.spool')}\n")


# --------------------------------------------------------------------------- the simulator

def start_simulator(scale: float, domain: str = "pbx.romashka.local") -> FakeSwitch:
    """The simulator, not keeping each call's bytes (memory stays flat over 10,000s of calls)."""
    return FakeSwitch(domain=domain, password=PASSWORD, scale=scale, keep_traffic=False).start()


def populate(sim: FakeSwitch, logins: Sequence[str], mobiles: Sequence[str]) -> None:
    """Every employee registered, every desk phone and mobile answering after ANSWER_AFTER."""
    for login in logins:
        sim.employee(login, answer_after=ANSWER_AFTER)
    for number in mobiles:
        sim.mobile(number, answer_after=ANSWER_AFTER)
    settle_heap()


def settle_heap() -> None:
    """Freeze what this process holds now (the simulator's directory, finished calls).

    Left to the collector, every full collection would walk 10,000 employees and tens
    of thousands of finished calls, stalling the simulator for 100 ms and more: time
    the bench would count against the server under test.
    """
    gc.collect()
    gc.freeze()


@dataclass
class Marks:
    """What the bench keeps of one call (a worker process sends these back as lists)."""
    lost: str                                # why the call was lost, "" when it was not
    socket_connected_at: Optional[float]     # perf_counter() marks of the simulator (CLOCK_MONOTONIC)
    connect_replied_at: Optional[float]
    first_bridge_at: Optional[float]

    @classmethod
    def of(cls, call) -> "Marks":
        return cls(lost(call), call.socket_connected_at, call.connect_replied_at, call.first_bridge_at)

    @property
    def bridged(self) -> bool:
        return not self.lost and self.first_bridge_at is not None

    @property
    def setup(self) -> float:
        """Channel data written -> bridge read, as the simulator saw it."""
        return self.first_bridge_at - self.connect_replied_at

    @property
    def connect_to_bridge(self) -> float:
        """TCP connect -> bridge read: the setup plus the wait to be accepted."""
        return self.first_bridge_at - self.socket_connected_at


def lost(call) -> str:
    """Why the server did not take the call through ("" when it did)."""
    if not call.connected:
        return "never connected"
    if call.fell_back:
        return "handed back to the dialplan"
    if call.parked:
        return "left parked"
    if not call.done:
        return "still up at the end of the wait"
    if not call.apps:
        return "never routed"
    return ""


@dataclass
class Placement:
    marks: list[Marks]
    started: float         # time.monotonic() the first call was due
    seconds: float         # from then to the last call placed
    worst_lag: float       # how late the most delayed call was placed (s)
    elapsed: float         # from the start until every call had ended
    sim_cpu: float         # CPU seconds the simulator processes spent meanwhile

    @property
    def rate(self) -> float:
        return (len(self.marks) - 1) / self.seconds if self.seconds > 0 and len(self.marks) > 1 else 0.0


@dataclass(frozen=True)
class Traffic:
    """Calls at `rate` per second, open loop: the i-th at start + i/rate, never waiting for earlier ones."""
    address: tuple[str, int]
    destinations: Sequence[str]
    rate: float
    count: int
    talk_time: Optional[float]
    first_caller: int = 0

    def place_share(self, sim: FakeSwitch, start: float, offset: int = 0, stride: int = 1) -> tuple[list, float]:
        """Place calls offset, offset + stride, … of the traffic; (calls, worst lag)."""
        calls = []
        worst = 0.0
        for i in range(offset, self.count, stride):
            delay = start + i / self.rate - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            else:
                worst = max(worst, -delay)
            calls.append(sim.place_call(self.address, self.destinations[i % len(self.destinations)],
                                        caller=EXTERNAL_CALLER.format(self.first_caller + i),
                                        talk_time=self.talk_time))
        return calls, worst

    def ending_within(self, scale: float) -> float:
        """Real seconds after the last call is placed by which every call has ended."""
        return 30 + ((self.talk_time or 0) + 30) * scale


def run_traffic(sim: FakeSwitch, traffic: Traffic, company: "BenchCompany", processes: int) -> Placement:
    """Place `traffic` from this process's simulator and `processes - 1` worker processes
    (bench/sim_worker.py), each taking every `processes`-th call, and wait for the calls to end."""
    workers = [SimWorker(traffic, company, sim.clock.scale, offset, processes) for offset in range(1, processes)]
    try:
        cpu = own_cpu_seconds()
        start = time.monotonic() + 0.1
        for worker in workers:
            worker.go(start)
        calls, worst = traffic.place_share(sim, start, 0, processes)
        placed = time.monotonic()
        wait_all(calls, traffic.ending_within(sim.clock.scale))
        marks = [Marks.of(call) for call in calls]
        cpu = own_cpu_seconds() - cpu
        for worker in workers:
            more, lag, last, worker_cpu = worker.results()
            marks += more
            worst, placed, cpu = max(worst, lag), max(placed, last), cpu + worker_cpu
        elapsed = time.monotonic() - start
    finally:
        for worker in workers:
            worker.close()
    settle_heap()
    return Placement(marks, start, placed - start, worst, elapsed, cpu)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class SimWorker:
    """A simulator in another process placing its share of the traffic (bench/sim_worker.py)."""

    def __init__(self, traffic: Traffic, company: "BenchCompany", scale: float, offset: int, stride: int):
        job = {"address": list(traffic.address), "destinations": list(traffic.destinations), "rate": traffic.rate,
               "count": traffic.count, "talk_time": traffic.talk_time, "first_caller": traffic.first_caller,
               "offset": offset, "stride": stride, "scale": scale, "domain": company.domain,
               "logins": list(company.logins), "mobiles": list(company.mobiles)}
        self.process = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "sim_worker.py")], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        with gevent.Timeout(STARTUP_TIMEOUT, TimeoutError("a simulator worker did not start")):
            if self.process.stdout.readline().strip() != "ready":
                raise RuntimeError("a simulator worker failed to start")

    def go(self, start: float) -> None:
        self.process.stdin.write(f"{start!r}\n")
        self.process.stdin.flush()

    def results(self) -> tuple[list[Marks], float, float, float]:
        """(marks of its calls, its worst lag, when it placed its last call, its CPU seconds for them)."""
        data = json.loads(self.process.stdout.readline())
        return [Marks(*row) for row in data["marks"]], data["worst_lag"], data["last_placed"], data["cpu"]

    def close(self) -> None:
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_all(calls: Sequence, timeout: float) -> None:
    """Wait until every call has ended, at most `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    for call in calls:
        if not call.wait(max(0.0, deadline - time.monotonic())):
            return


# --------------------------------------------------------------------------- processes under test

class ServerProcess:
    """A server under test in its own process; it prints `ready outbound=H:P [http=H:P]` once serving."""

    def __init__(self, name: str, argv: list[str], log_path: str, timeout: float = STARTUP_TIMEOUT):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=self._log, text=True)
        self.usage = ProcessUsage(self.process.pid)
        try:
            fields = self._ready_line(timeout)
        except BaseException:
            self.process.kill()
            self.process.wait()
            self._log.close()
            raise
        self.outbound = _address(fields["outbound"])
        self.http = _address(fields["http"]) if "http" in fields else None

    def _ready_line(self, timeout: float) -> dict[str, str]:
        with gevent.Timeout(timeout, TimeoutError(f"{self.name} not ready within {timeout:g} s")):
            line = self.process.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"{self.name} did not start; see {self.log_path}")
        return dict(field.split("=", 1) for field in line.split()[1:])

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (the daemon drains), then the exit code; killed if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def http_get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.http[0]}:{self.http[1]}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until /readyz says the inbound ESL link is up (the registrations are loaded)."""
        deadline = time.monotonic() + timeout
        while self.http_get("/readyz")[0] != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} never became ready; see {self.log_path}")
            gevent.sleep(0.1)

    def metric(self, name: str) -> float:
        """One unlabelled sample from /metrics."""
        for line in self.http_get("/metrics")[1].splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise LookupError(f"{name} not in /metrics")

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until the daemon drives no call (callrouter_active_calls 0)."""
        deadline = time.monotonic() + timeout
        while self.metric("callrouter_active_calls") > 0:
            if time.monotonic() > deadline:
                return False
            gevent.sleep(0.05)
        return True


def daemon_argv(config: str, samples: str, at: dt.datetime) -> list[str]:
    return [os.path.join(ROOT, "bench", "daemon_process.py"), "-c", config, "--samples", samples,
            "--at", at.isoformat()]


def stock_argv(dial: str) -> list[str]:
    return [os.path.join(ROOT, "bench", "stock_greenswitch.py"), "--dial", dial]


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


@dataclass
class DaemonSamples:
    """What bench/daemon_process.py recorded: setup latencies, its hub's lateness, long GC pauses."""
    setup: list[tuple[float, float]]      # (monotonic when observed, seconds)
    hub: list[tuple[float, float]]        # (monotonic when woken, seconds late)
    gc: list[tuple[float, float, int]]    # (monotonic when it ended, seconds, generation), those over 1 ms

    @classmethod
    def read(cls, path: str) -> "DaemonSamples":
        with open(path) as f:
            data = json.load(f)
        return cls(list(zip(data["at"], data["seconds"])), list(zip(data["hub_at"], data["hub_late"])),
                   [tuple(pause) for pause in data["gc"]])

    @staticmethod
    def within(pairs: list[tuple[float, float]], window: tuple[float, float]) -> list[float]:
        return [value for at, value in pairs if window[0] <= at < window[1]]


class LogWatch:
    """Notices a line in a process's log file as it is written (polls every 10 ms)."""

    def __init__(self, path: str):
        self._file = open(path)
        self._file.seek(0, os.SEEK_END)

    def wait_for(self, text: str, timeout: float) -> Optional[float]:
        """time.monotonic() when a new line holding `text` was seen, None after `timeout`."""
        deadline = time.monotonic() + timeout
        pending = ""
        while time.monotonic() < deadline:
            pending += self._file.read()
            lines = pending.split("\n")
            pending = lines.pop()
            if any(text in line for line in lines):
                return time.monotonic()
            gevent.sleep(0.01)
        return None

    def close(self) -> None:
        self._file.close()


# --------------------------------------------------------------------------- arithmetic and output

def quantile(values: Sequence[float], q: float) -> float:
    """The smallest value with at least q of all values at or below it (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(min, median, max) over repeated runs."""
    return min(values), statistics.median(values), max(values)


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.2f} ms"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first left-aligned, the others right-aligned."""
    cells = [list(header)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        first, rest = row[0].ljust(widths[0]), [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)


def timed(what: str, step: Callable[[], object]) -> object:
    """Run a setup step and say how long it took (setup is most of a --quick run)."""
    started = time.monotonic()
    result = step()
    print(f"  {what}: {time.monotonic() - started:.1f} s", flush=True)
    return result
