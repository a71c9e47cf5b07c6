"""Held calls benchmark: callrouter's memory with 2,000 calls up at once, over repeated rounds.

    .venv/bin/python bench/held_calls_bench.py [--calls 2000] [--rounds 3] [--rate 200]
                                               [--employees 10000] [--quick]

callrouter runs as in bench/call_setup_bench.py (bench/daemon_process.py in its own
process, a company from bench/company_gen.py, a SQLite store, the inbound ESL link to
the simulator in this process).  Each round places `--calls` calls to as many different
employees (extensions whose plan starts by ringing; the same ones every round), open
loop at `--rate`; every call is answered after 1 sim second and then held (no talk
limit).  Once all are answered and the daemon drives them all, its resident memory is
read; then every caller hangs up, and once the daemon drives no call it is read again.

Printed per round: RSS before, with the calls up, after they ended, the peak (VmHWM)
during the round, and the daemon's CPU time per call; then min / median / max over
the rounds.  Targets: RSS ≤ 300 MB with the calls up, and flat from round to round.
The exit code is 1 when a call was not answered and held.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Optional  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.daemon_process import DEFAULT_AT  # noqa: E402
from bench.harness import BenchCompany, ServerProcess, spread, table  # noqa: E402
from bench.procstat import machine  # noqa: E402

TARGET_RSS_MB = 300.0
SCALE = 0.5                 # real seconds per sim second
UP_TIMEOUT = 120.0          # real seconds for every call of a round to be answered and driven


@dataclass
class Round:
    calls: int
    held: int               # answered, and still up when memory was read
    before_mb: float
    up_mb: float
    after_mb: float
    peak_mb: float
    cpu_seconds: float

    @property
    def per_call_kb(self) -> float:
        return (self.up_mb - self.before_mb) * 1024 / self.calls


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        gevent.sleep(0.05)
    return True


def one_round(sim, daemon: ServerProcess, destinations: list[str], args, first_caller: int) -> Round:
    usage = daemon.usage
    usage.reset_peak()
    before, cpu = usage.rss_mb(), usage.cpu_seconds()
    traffic = harness.Traffic(daemon.outbound, destinations, args.rate, args.calls, talk_time=None,
                              first_caller=first_caller)
    calls, _ = traffic.place_share(sim, time.monotonic())
    wait_until(lambda: all(call.answered or call.done for call in calls), UP_TIMEOUT)
    held = sum(call.answered and not call.done for call in calls)
    wait_until(lambda: daemon.metric("callrouter_active_calls") >= held, UP_TIMEOUT)
    up = usage.rss_mb()
    sim.hangup_all()
    harness.wait_all(calls, UP_TIMEOUT)
    daemon.wait_idle(UP_TIMEOUT)
    harness.settle_heap()
    return Round(len(calls), held, before, up, usage.rss_mb(), usage.peak_rss_mb(), usage.cpu_seconds() - cpu)


def report(rounds: list[Round], startup_mb: tuple[float, float]) -> str:
    rows = [[str(n + 1), f"{r.held} / {r.calls}", f"{r.before_mb:.0f} MB", f"{r.up_mb:.0f} MB",
             f"{r.after_mb:.0f} MB", f"{r.peak_mb:.0f} MB", f"{r.per_call_kb:.0f} KB",
             f"{r.cpu_seconds / r.calls * 1000:.2f} ms"] for n, r in enumerate(rounds)]
    text = table(["round", "held", "RSS before", "calls up", "after", "peak", "per held call", "CPU per call"],
                 rows)
    if len(rounds) > 1:
        spreads = [("RSS with the calls up", [r.up_mb for r in rounds], "MB"),
                   ("RSS after the calls ended", [r.after_mb for r in rounds], "MB"),
                   ("RSS per held call", [r.per_call_kb for r in rounds], "KB")]
        text += "\n\n" + table(["over the rounds", "min", "median", "max"],
                               [[label] + [f"{v:.0f} {unit}" for v in spread(values)] for label, values, unit in spreads])
    peak = max(r.peak_mb for r in rounds)
    drift = rounds[-1].after_mb - rounds[0].after_mb
    verdict = "ok" if peak <= TARGET_RSS_MB else "MISSED"
    text += (f"\n\nstartup: RSS {startup_mb[0]:.0f} MB after loading (peak {startup_mb[1]:.0f} MB while loading)"
             f"\ntargets: peak RSS during the rounds {peak:.0f} MB ≤ {TARGET_RSS_MB:.0f} MB {verdict}; "
             f"RSS after the last round minus after the first: {drift:+.1f} MB")
    return text


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, help="calls held at once (default 2000; --quick 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--rate", type=float, default=200.0, help="new calls per second while filling (default 200)")
    parser.add_argument("--employees", type=int, help="company size (default 10000; --quick 200)")
    parser.add_argument("--at", type=dt.datetime.fromisoformat, default=dt.datetime.fromisoformat(DEFAULT_AT),
                        help=f"the daemon's clock at start (default {DEFAULT_AT})")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 calls, 200 employees")
    parser.add_argument("--workdir", help="keep the config, logs and store here (default: a temporary directory)")
    parser.add_argument("--trace-memory", action="store_true",
                        help="tracemalloc in the daemon: after each round, where its Python memory grew since round 1")
    args = parser.parse_args(argv)
    args.calls = args.calls or (100 if args.quick else 2000)
    args.employees = args.employees or (200 if args.quick else 10_000)
    return args


def python_growth(daemon: ServerProcess, samples: str, number: int, top: int = 8) -> str:
    """Ask the daemon for a tracemalloc dump (SIGUSR1, bench/daemon_process.py) and
    say where its Python memory grew since the first one."""
    import tracemalloc
    dump = f"{samples}.memory-{number}.tracemalloc"
    daemon.process.send_signal(signal.SIGUSR1)
    if not wait_until(lambda: os.path.exists(dump), 30.0):
        return "  (no tracemalloc dump from the daemon)"
    gevent.sleep(0.5)                       # written by now
    now = tracemalloc.Snapshot.load(dump)
    first = tracemalloc.Snapshot.load(f"{samples}.memory-1.tracemalloc")
    total = sum(stat.size for stat in now.statistics("filename")) / 2**20
    lines = [f"  Python memory traced: {total:.1f} MiB"]
    if number > 1:
        diff = now.compare_to(first, "lineno")
        grown = sum(stat.size_diff for stat in diff) / 2**20
        lines.append(f"  since round 1: {grown:+.2f} MiB; most:")
        lines += [f"    {stat}" for stat in diff[:top]]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    print(f"machine: {machine()}; CPython {sys.version.split()[0]}", flush=True)
    with harness.workdir(args.workdir) as workdir:
        sim = harness.start_simulator(SCALE)
        try:
            company = harness.timed("company written and planned", lambda: BenchCompany.write(
                workdir, args.employees, args.at, sim.inbound_address))
            harness.populate(sim, company.logins, company.mobiles)
            destinations = company.destinations(department_share=0)[:args.calls]
            if len(destinations) < args.calls:
                raise SystemExit(f"only {len(destinations)} employees ring at {args.at}: raise --employees")
            print(f"company: {company.employees} employees; {args.calls} calls held at once, to as many "
                  f"employees, {args.rounds} rounds; placed at {args.rate:g}/s", flush=True)
            samples = os.path.join(workdir, "setup.json")
            argv = harness.daemon_argv(company.path, samples, args.at) + (["--trace-memory"] if args.trace_memory else [])
            daemon = harness.timed("callrouter started (config loaded)", lambda: ServerProcess(
                "callrouter", argv, os.path.join(workdir, "callrouter.log")))
            try:
                harness.timed("inbound ESL connected, registrations loaded", daemon.wait_ready)
                startup = (daemon.usage.rss_mb(), daemon.usage.peak_rss_mb())
                rounds = []
                for n in range(args.rounds):
                    rounds.append(harness.timed(f"round {n + 1}", lambda n=n: one_round(
                        sim, daemon, destinations, args, first_caller=n * args.calls)))
                    if args.trace_memory:
                        print(python_growth(daemon, samples, n + 1), flush=True)
            finally:
                daemon.stop()
        finally:
            sim.stop()
    print("\n" + report(rounds, startup))
    return 0 if all(r.held == r.calls for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
