"""Call setup benchmark: new calls at a fixed rate through callrouter, then through
greenswitch's stock OutboundESLServer, against the simulator, in the same run.

    .venv/bin/python bench/call_setup_bench.py [--rate 200] [--seconds 60] [--runs 1]
                                               [--employees 10000] [--reload] [--quick]
                                               [--socket-mode sync|async]

The servers run in processes of their own, so that their CPU time and memory are theirs:

- the simulator (tests/fakeswitch, ~5 ms of CPU per call: more than either server spends)
  runs in this process, which holds the daemon's inbound ESL link, and in
  `--sim-processes - 1` more (bench/sim_worker.py) that share the calls out; together
  they place the calls open loop, the i-th at start + i/rate, answered after 1 sim
  second, talking `--talk` sim seconds;
- callrouter: bench/daemon_process.py (the App as `callrouter run` builds it, serving a
  company from bench/company_gen.py, a SQLite store, the inbound ESL link to the
  simulator, its clock fixed at a Wednesday 11:00 in Moscow);
- then greenswitch's stock server with a minimal bridge application
  (bench/stock_greenswitch.py), at the same rate.

Calls go to every extension whose plan starts by ringing (most employees at that hour),
and 10 % to department numbers.  Measured per server:

- setup latency, as DESIGN.md defines it (outbound `connect` received -> first `bridge`
  sent): callrouter's own observations of callrouter_call_setup_seconds (exact values,
  see bench/daemon_process.py), and from the simulator's side (channel data written ->
  bridge read), which adds loopback and the simulator's own queueing;
- connect-to-bridge: the simulator's TCP connect -> bridge read, which also counts how
  long the connection waited to be accepted (greenswitch's 100 ms accept poll);
- how late callrouter's hub woke a greenlet that slept 10 ms (how long it was busy or
  blocked; every call waiting on the hub waited as long);
- lost calls (handed back to the dialplan, left parked, never routed, still up well after
  the traffic) and calls routed without a bridge; for callrouter also the stages and errors
  it logged when it handed calls back;
- CPU time per call (utime + stime of the server process over the traffic / calls),
  peak RSS during the traffic (VmHWM reset when the traffic starts) and at startup.

--reload edits one employee of the served file halfway through and sends SIGHUP, then
prints callrouter's setup latency before, while and after the reload ran.
--quick is a smoke run: a company of 200 employees, 5 s of traffic, calls that last a
fifth as long (unless given).
--runs N repeats everything (a fresh daemon each time) and prints min / median / max.
--socket-mode is how the simulator runs FreeSWITCH's socket application: `sync` (`socket
ADDR full`, the default and what `deploy freeswitch` writes) or `async` (`... async full`);
the daemon follows what each connect reply says (Socket-Mode), its config need not change.
--profile runs callrouter under cProfile (its CPU figures are then inflated; see
bench/daemon_process.py).
The exit code is 1 when callrouter lost a call.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Optional  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.daemon_process import DEFAULT_AT  # noqa: E402
from bench.harness import BenchCompany, Placement, ServerProcess, ms, quantile, spread, table  # noqa: E402
from bench.procstat import machine  # noqa: E402

TARGET_P50 = 0.002
TARGET_P99 = 0.010
DEPARTMENT_SHARE = 0.10
QUICK_EMPLOYEES = 200
QUICK_SECONDS = 5.0


@dataclass
class ServerResult:
    name: str
    placement: Placement
    lost_why: Counter                                    # why calls were lost -> how many
    unbridged: int
    daemon: Optional[harness.DaemonSamples]              # callrouter's own setup latencies, hub lateness, GC
    sim_setup: list[tuple[float, float]]                 # (monotonic when the bridge arrived, seconds)
    connect_to_bridge: list[float]
    cpu_seconds: float
    startup_peak_mb: float
    peak_mb: float
    end_mb: float
    reload: Optional[tuple[float, Optional[float]]] = None   # (SIGHUP sent, reload logged) monotonic
    handed_back: Counter = field(default_factory=Counter)    # the daemon's log: stage and error -> calls

    @property
    def lost(self) -> int:
        return sum(self.lost_why.values())

    @property
    def calls(self) -> int:
        return len(self.placement.marks)

    @property
    def cpu_per_call(self) -> float:
        return self.cpu_seconds / self.calls if self.calls else math.nan

    @property
    def cpu_share(self) -> float:
        """Share of one core the server used from the first call until the last one ended."""
        return self.cpu_seconds / self.placement.elapsed if self.placement.elapsed else math.nan

    @property
    def sim_cpu_share(self) -> float:
        return self.placement.sim_cpu / self.placement.elapsed if self.placement.elapsed else math.nan

    @property
    def traffic_window(self) -> tuple[float, float]:
        return self.placement.started, self.placement.started + self.placement.elapsed

    def setup(self, window: tuple[float, float] = (-math.inf, math.inf)) -> list[float]:
        """Setup latencies observed within `window`: the daemon's own when it has them."""
        return harness.DaemonSamples.within(self.daemon.setup if self.daemon else self.sim_setup, window)

    def gc_pauses(self) -> list[float]:
        """The daemon's garbage collections over 1 ms during the traffic, in seconds."""
        start, end = self.traffic_window
        return [seconds for at, seconds, _ in self.daemon.gc if start <= at < end] if self.daemon else []

    def hub_late(self, window: Optional[tuple[float, float]] = None) -> list[float]:
        """How late the daemon's hub woke a sleeping greenlet (during the traffic by default)."""
        return harness.DaemonSamples.within(self.daemon.hub, window or self.traffic_window) if self.daemon else []

    def sim_latencies(self, window: tuple[float, float] = (-math.inf, math.inf)) -> list[float]:
        return harness.DaemonSamples.within(self.sim_setup, window)


# --------------------------------------------------------------------------- one server's traffic

def traffic(sim, server: ServerProcess, company: BenchCompany, destinations: list[str], args,
            first_caller: int) -> tuple:
    """Place the calls, wait for them to end; (placement, CPU seconds, peak RSS, RSS at the end)."""
    server.usage.reset_peak()
    cpu = server.usage.cpu_seconds()
    calls = harness.Traffic(server.outbound, destinations, args.rate, round(args.rate * args.seconds), args.talk,
                            first_caller)
    placement = harness.run_traffic(sim, calls, company, args.sim_processes)
    if server.http is not None:
        server.wait_idle()
    cpu = server.usage.cpu_seconds() - cpu
    return placement, cpu, server.usage.peak_rss_mb(), server.usage.rss_mb()


def sim_measurements(placement: Placement) -> tuple[list[tuple[float, float]], list[float], Counter, int]:
    """(setup pairs, connect-to-bridge, why calls were lost, routed without a bridge) as the simulator saw them."""
    bridged = [m for m in placement.marks if m.bridged]
    lost_why = Counter(m.lost for m in placement.marks if m.lost)
    return ([(m.first_bridge_at, m.setup) for m in bridged], [m.connect_to_bridge for m in bridged],
            lost_why, len(placement.marks) - sum(lost_why.values()) - len(bridged))


HANDED_BACK = re.compile(r'msg="call handed back" .*?stage=(\S+)(?: error=("(?:[^"\\]|\\.)*"|\S+))?')


def handed_back(log_path: str) -> Counter:
    """The daemon's own account of the calls it handed back: "stage: error" -> calls."""
    found: Counter = Counter()
    with open(log_path) as f:
        for line in f:
            match = HANDED_BACK.search(line)
            if match:
                found[f"{match.group(1)}: {(match.group(2) or '').strip(chr(34))}"] += 1
    return found


def reload_midway(server: ServerProcess, company: BenchCompany, delay: float, run: int):
    """Halfway through, edit one employee and SIGHUP; (SIGHUP sent, reload logged) monotonic."""
    from bench.reload_bench import edited

    gevent.sleep(delay)
    watch = harness.LogWatch(server.log_path)
    try:
        scratch = company.path + ".new"
        with open(scratch, "w") as f:
            f.write(edited(company.text, run + 1, company.employees))
        os.replace(scratch, company.path)
        sent = time.monotonic()
        server.signal(signal.SIGHUP)
        return sent, watch.wait_for("config reloaded from", timeout=120)
    finally:
        watch.close()


def run_callrouter(sim, company: BenchCompany, destinations: list[str], args, workdir: str, run: int) -> ServerResult:
    samples = os.path.join(workdir, f"setup-samples-{run}.json")
    log_path = os.path.join(workdir, f"callrouter-{run}.log")
    argv = harness.daemon_argv(company.path, samples, args.at) + (["--profile"] if args.profile else [])
    daemon = harness.timed("callrouter started (config loaded)", lambda: ServerProcess("callrouter", argv, log_path))
    try:
        harness.timed("inbound ESL connected, registrations loaded", daemon.wait_ready)
        startup_peak = daemon.usage.peak_rss_mb()
        prober = gevent.spawn(reload_midway, daemon, company, args.seconds / 2, run) if args.reload else None
        placement, cpu, peak, end = harness.timed(
            f"callrouter: {round(args.rate * args.seconds)} calls",
            lambda: traffic(sim, daemon, company, destinations, args, first_caller=0))
        reload_times = prober.get() if prober is not None else None
    finally:
        code = daemon.stop()
        with open(company.path, "w") as f:          # undo --reload's edit for the next run
            f.write(company.text)
    if code != 0:
        raise RuntimeError(f"callrouter exited with {code}; see {log_path}")
    setup, connect, lost_why, unbridged = sim_measurements(placement)
    return ServerResult("callrouter", placement, lost_why, unbridged, harness.DaemonSamples.read(samples), setup, connect,
                        cpu, startup_peak, peak, end, reload_times, handed_back(log_path))


def run_stock(sim, company: BenchCompany, destinations: list[str], args, workdir: str, run: int) -> ServerResult:
    dial = f"user/{company.login_of[company.direct[0]]}@{company.domain}"
    stock = ServerProcess("greenswitch stock", harness.stock_argv(dial), os.path.join(workdir, f"stock-{run}.log"))
    try:
        startup_peak = stock.usage.peak_rss_mb()
        placement, cpu, peak, end = harness.timed(
            f"greenswitch stock: {round(args.rate * args.seconds)} calls",
            lambda: traffic(sim, stock, company, destinations, args, first_caller=5_000_000))
    finally:
        stock.stop(timeout=5)
    setup, connect, lost_why, unbridged = sim_measurements(placement)
    return ServerResult("greenswitch stock", placement, lost_why, unbridged, None, setup, connect,
                        cpu, startup_peak, peak, end)


# --------------------------------------------------------------------------- output

def triple(values: list[float]) -> str:
    return " / ".join(ms(quantile(values, q)) for q in (0.5, 0.99, 1.0))


def run_rows(results: list[ServerResult]) -> list[list[str]]:
    rows = [
        ["calls placed (achieved rate)"] + [f"{r.calls} ({r.placement.rate:.1f}/s)" for r in results],
        ["latest placement behind schedule"] + [ms(r.placement.worst_lag) for r in results],
        ["lost (fell back, parked, unrouted, stuck)"] + [str(r.lost) for r in results],
        ["routed without a bridge"] + [str(r.unbridged) for r in results],
        ["setup, daemon's own  p50 / p99 / max"] + [triple(r.setup()) if r.daemon else "—" for r in results],
        ["daemon's hub late    p50 / p99 / max"] + [triple(r.hub_late()) if r.daemon else "—" for r in results],
        ["daemon's GC pauses over 1 ms: count, longest"] + [
            f"{len(r.gc_pauses())}, {ms(max(r.gc_pauses(), default=0.0))}" if r.daemon else "—" for r in results],
        ["setup, sim side      p50 / p99 / max"] + [triple(r.sim_latencies()) for r in results],
        ["connect -> bridge    p50 / p99 / max"] + [triple(r.connect_to_bridge) for r in results],
        ["CPU per call"] + [ms(r.cpu_per_call) for r in results],
        ["CPU, share of one core"] + [f"{r.cpu_share * 100:.0f} %" for r in results],
        ["simulators' CPU, share of one core"] + [f"{r.sim_cpu_share * 100:.0f} %" for r in results],
        ["peak RSS during traffic"] + [f"{r.peak_mb:.0f} MB" for r in results],
        ["RSS at the end / peak at startup"] + [f"{r.end_mb:.0f} / {r.startup_peak_mb:.0f} MB" for r in results],
    ]
    return rows


def verdicts(ours: ServerResult) -> str:
    setup = ours.setup()
    p50, p99 = quantile(setup, 0.5), quantile(setup, 0.99)
    checks = [(f"p50 {ms(p50)} ≤ 2 ms", p50 <= TARGET_P50), (f"p99 {ms(p99)} ≤ 10 ms", p99 <= TARGET_P99),
              (f"{ours.lost} lost", ours.lost == 0)]
    return "targets: " + ", ".join(f"{text} {'ok' if ok else 'MISSED'}" for text, ok in checks)


def losses(results: list[ServerResult]) -> str:
    """Why calls were lost, as the simulator saw it and as callrouter logged it."""
    lines = []
    for r in results:
        if r.lost:
            lines.append(f"{r.name} lost: " + ", ".join(f"{n} {why}" for why, n in r.lost_why.most_common()))
        if r.handed_back:
            lines.append(f"{r.name} logged 'call handed back': "
                         + ", ".join(f"{n} at {why}" for why, n in r.handed_back.most_common()))
    return "\n".join(lines)


def reload_report(ours: ServerResult) -> str:
    sent, done = ours.reload
    if done is None:
        return "reload under load: the daemon never logged the reload"
    start = ours.placement.started
    windows = [("before", (-math.inf, sent)), ("while reloading", (sent, done)), ("after", (done, math.inf))]
    rows = []
    for label, window in windows:
        own, sim = ours.setup(window), ours.sim_latencies(window)
        hub = ours.hub_late((max(window[0], start), min(window[1], start + ours.placement.elapsed)))
        rows.append([label, str(len(own)), triple(own), triple(hub), triple(sim)])
    head = (f"reload under load: SIGHUP {sent - start:.1f} s into the traffic, "
            f"'config reloaded' logged {done - sent:.2f} s later")
    return (head + "\n" + table(["", "calls", "daemon's own p50 / p99 / max", "hub late p50 / p99 / max",
                                  "sim side p50 / p99 / max"], rows) + "\n" + _reference(ours, sent, done))


def _reference(ours: ServerResult, sent: float, done: float) -> str:
    """What the slowest setup of as many calls as the reload window holds is without a
    reload: the window has ~100 calls, so its p99 is its maximum, and the maximum of
    any ~100 calls varies a lot."""
    during = len(ours.setup((sent, done)))
    before = [value for at, value in sorted(ours.daemon.setup) if at < sent] if ours.daemon else []
    maxima = sorted(max(before[i:i + during]) for i in range(0, len(before) - during + 1, during)) if during else []
    if not maxima:
        return ""
    return (f"for comparison, the slowest daemon's own setup of {during} consecutive calls before the SIGHUP "
            f"({len(maxima)} such windows): median {ms(quantile(maxima, 0.5))}, p90 {ms(quantile(maxima, 0.9))}, "
            f"max {ms(maxima[-1])}")


SUMMARY = [    # (label, value of one run's result, format)
    ("setup p50, daemon's own", lambda r: quantile(r.setup(), 0.5), ms),
    ("setup p99, daemon's own", lambda r: quantile(r.setup(), 0.99), ms),
    ("setup max, daemon's own", lambda r: quantile(r.setup(), 1.0), ms),
    ("hub late p99, daemon's own", lambda r: quantile(r.hub_late(), 0.99), ms),
    ("setup p50, sim side", lambda r: quantile(r.sim_latencies(), 0.5), ms),
    ("setup p99, sim side", lambda r: quantile(r.sim_latencies(), 0.99), ms),
    ("connect -> bridge p50", lambda r: quantile(r.connect_to_bridge, 0.5), ms),
    ("connect -> bridge p99", lambda r: quantile(r.connect_to_bridge, 0.99), ms),
    ("lost", lambda r: r.lost, lambda v: f"{v:g}"),
    ("CPU per call", lambda r: r.cpu_per_call, ms),
    ("peak RSS during traffic", lambda r: r.peak_mb, lambda v: f"{v:.0f} MB"),
]


def summary(runs: list[list[ServerResult]]) -> str:
    rows = []
    for server in range(len(runs[0])):
        name = runs[0][server].name
        for label, value, fmt in SUMMARY:
            if runs[0][server].daemon is None and "daemon's own" in label:
                continue
            low, mid, high = spread([value(run[server]) for run in runs])
            rows.append([f"{name}: {label}", fmt(low), fmt(mid), fmt(high)])
    return table([f"over {len(runs)} runs", "min", "median", "max"], rows)


# --------------------------------------------------------------------------- main

def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="new calls per second (default 200)")
    parser.add_argument("--seconds", type=float, help="seconds of traffic per server (default 60; --quick 5)")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything N times (default 1)")
    parser.add_argument("--employees", type=int, help="company size (default 10000; --quick 200)")
    parser.add_argument("--talk", type=float, default=2.0, help="sim seconds each call talks (default 2)")
    parser.add_argument("--scale", type=float, help="real seconds per sim second (default 0.5; --quick 0.1)")
    parser.add_argument("--at", type=dt.datetime.fromisoformat, default=dt.datetime.fromisoformat(DEFAULT_AT),
                        help=f"the daemon's clock at start (default {DEFAULT_AT})")
    parser.add_argument("--reload", action="store_true", help="reload the config (SIGHUP) halfway through")
    parser.add_argument("--no-stock", action="store_true", help="skip greenswitch's stock server")
    parser.add_argument("--sim-processes", type=int, default=2,
                        help="simulator processes placing the calls (default 2: one cannot place 200/s)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 employees, 5 s, calls 5 times faster")
    parser.add_argument("--workdir", help="keep the config, logs and store here (default: a temporary directory)")
    parser.add_argument("--socket-mode", choices=("sync", "async"), default="sync",
                        help="FreeSWITCH's socket mode in the simulator (default sync)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile callrouter's hub thread; stats in WORKDIR/setup-samples-N.json.pstats")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (QUICK_SECONDS if args.quick else 60.0)
    args.employees = args.employees or (QUICK_EMPLOYEES if args.quick else 10_000)
    args.scale = args.scale or (0.1 if args.quick else 0.5)
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    os.environ["FAKESWITCH_SOCKET_MODE"] = args.socket_mode      # this simulator and its worker processes
    print(f"machine: {machine()}; CPython {sys.version.split()[0]}; socket mode: {args.socket_mode}", flush=True)
    runs: list[list[ServerResult]] = []
    with harness.workdir(args.workdir) as workdir:
        sim = harness.start_simulator(args.scale)
        try:
            company = harness.timed("company written and planned", lambda: BenchCompany.write(
                workdir, args.employees, args.at, sim.inbound_address))
            harness.populate(sim, company.logins, company.mobiles)
            destinations = company.destinations(DEPARTMENT_SHARE)
            print(f"company: {company.employees} employees, {company.departments} departments; called: "
                  f"{len(company.direct)} extensions and {len(company.department_lines)} department numbers "
                  f"whose plans start by ringing, {DEPARTMENT_SHARE:.0%} of calls to departments", flush=True)
            print(f"traffic: {args.rate:g} new calls/s for {args.seconds:g} s per server, open loop; answered "
                  f"after {harness.ANSWER_AFTER:g} sim s, talking {args.talk:g} sim s; 1 sim s = {args.scale:g} s",
                  flush=True)
            for run in range(args.runs):
                results = [run_callrouter(sim, company, destinations, args, workdir, run)]
                if not args.no_stock:
                    results.append(run_stock(sim, company, destinations, args, workdir, run))
                runs.append(results)
                print(f"\nrun {run + 1}\n" + table([""] + [r.name for r in results], run_rows(results)))
                print(verdicts(results[0]))
                if any(r.lost or r.handed_back for r in results):
                    print(losses(results))
                if results[0].reload is not None:
                    print(reload_report(results[0]))
                print(flush=True)
        finally:
            sim.stop()
    if len(runs) > 1:
        print(summary(runs))
    return 1 if any(run[0].lost for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
