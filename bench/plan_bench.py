"""Benchmark of routing decisions for a company of 10,000 employees and 500 departments.

    .venv/bin/python bench/plan_bench.py [--runs 5] [--calls 20000] [--seed 1] [--workload both|scattered|day]

The company is bench/company_gen.py's (the one the reload benchmark loads), read
through the real loader: mixed devices and mobile delays, office hours, lunch breaks,
night shifts and no schedule, employees in other time zones, current, past and
open-ended absences, forwards to colleagues and departments, all five department
strategies with 20 members each, 1,000 company numbers.  Each run plans a mix of
calls (extensions, department numbers, company numbers dialled in several forms,
logins, unknown numbers) with some phones unregistered or busy and some DND /
forward-to-mobile overrides: at times spread over a week ("scattered"), or through
one working day in time order with the live state drifting ("day").

A routing decision is a call's plan(), and then routing.resume() of each forward the
plan leaves for when the call gets there (a plan rings one person or department at
most); the benchmark takes every forward, as if no call were answered, at the moment
the call would get there.  It prints p50 / p99 / max of the decisions in
microseconds, and of plan() and resume() apart.  The budget is p99 <= 100 us (issue 15:
readability first).

Only plan() and resume() are timed (perf_counter_ns around each).  On a machine
shared with other work, a decision preempted by another process counts that
process's time too, so each run also prints "on-CPU" percentiles: per decision, the
smaller of its wall time and the thread's CPU time read around it.  The garbage collector stays on, as in
the daemon; like the daemon (daemon/heap.py), the benchmark collects and freezes
the heap after routing.prepare() and then every 50 calls, outside the timings.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Optional
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from company_gen import company_yaml  # noqa: E402
from config.loader import load_text  # noqa: E402
from config.snapshot import Snapshot  # noqa: E402
from daemon.heap import COMPACT_INTERVAL, compact  # noqa: E402
from routing import plan, prepare, resume  # noqa: E402
from routing.fast.index import index_for  # noqa: E402
from routing.fast.live import LiveMasks  # noqa: E402
from routing.types import Call, Plan  # noqa: E402

ZONE = ZoneInfo("Europe/Moscow")
START = dt.datetime(2026, 12, 14, 0, 0, tzinfo=ZONE)           # a Monday
COMPACT_EVERY = round(200 * COMPACT_INTERVAL)                  # the daemon's compactions, at 200 calls/s


def build_company(seed: int) -> Snapshot:
    return load_text(company_yaml(seed=seed), "<bench>")


# --------------------------------------------------------------------------- live views

@dataclass
class Presence:
    unregistered: frozenset[str]
    busy: frozenset[str]

    def is_registered(self, login: str) -> bool:
        return login not in self.unregistered

    def is_busy(self, login: str) -> bool:
        return login in self.busy


@dataclass
class Overrides:
    dnd_on: frozenset[str]
    to_mobile: frozenset[str]

    def dnd(self, login: str) -> bool:
        return login in self.dnd_on

    def forward_to_mobile(self, login: str) -> bool:
        return login in self.to_mobile


class Rotation:
    """Like store.state's: last answered calls end at the daemon's clock, which is UTC."""
    def __init__(self, logins: list[str], rng: random.Random):
        self.counter = 0
        start = START.astimezone(dt.timezone.utc)
        self.answered = {login: start - dt.timedelta(minutes=rng.randrange(10_000))
                         for login in logins if rng.random() < 0.7}

    def round_robin_start(self, department: str) -> int:
        self.counter += 1
        return self.counter

    def last_answered(self, login: str) -> Optional[dt.datetime]:
        return self.answered.get(login)


def sample(logins: list[str], rng: random.Random, share: float) -> frozenset[str]:
    return frozenset(login for login in logins if rng.random() < share)


# --------------------------------------------------------------------------- calls

def destinations(snapshot: Snapshot, rng: random.Random, count: int) -> list[str]:
    """Extensions 50 %, department numbers 15 %, company numbers 20 % (mixed forms), logins 5 %, unknown 10 %."""
    extensions = sorted(snapshot.by_extension)
    departments = sorted(snapshot.department_by_extension)
    numbers = sorted(snapshot.numbers)
    logins = sorted(snapshot.by_login)
    out = []
    for _ in range(count):
        x = rng.random()
        if x < 0.50:
            out.append(rng.choice(extensions))
        elif x < 0.65:
            out.append(rng.choice(departments))
        elif x < 0.85:
            n = rng.choice(numbers)
            out.append(rng.choice((n, n[1:], "8" + n[2:], f"+7 ({n[2:5]}) {n[5:8]}-{n[8:10]}-{n[10:]}")))
        elif x < 0.90:
            out.append(rng.choice(logins))
        else:
            out.append(rng.choice(("112233", "+79990001122", "0", "9" + rng.choice(extensions))))
    return out


def callers(snapshot: Snapshot, rng: random.Random, count: int) -> list[str]:
    """30 % internal (an extension), 70 % outside numbers."""
    extensions = sorted(snapshot.by_extension)
    return [rng.choice(extensions) if rng.random() < 0.3 else f"+7903{rng.randrange(10**7):07d}"
            for _ in range(count)]


def moments(rng: random.Random, count: int) -> list[dt.datetime]:
    """Spread over a week, weighted to office hours."""
    out = []
    for _ in range(count):
        day = rng.randrange(7)
        minute = rng.randrange(9 * 60, 19 * 60) if rng.random() < 0.8 else rng.randrange(1440)
        local = START + dt.timedelta(days=day, minutes=minute, seconds=rng.randrange(60))
        out.append(local.astimezone(dt.timezone.utc))
    return out


def day_moments(rng: random.Random, count: int, day: int) -> list[dt.datetime]:
    """In time order through the working day `day` (0: the Monday of START), 08:00-20:00."""
    first = START + dt.timedelta(days=day % 7, hours=8)
    offsets = sorted(rng.randrange(12 * 3600) for _ in range(count))
    return [(first + dt.timedelta(seconds=offset)).astimezone(dt.timezone.utc) for offset in offsets]


@dataclass
class Workload:
    """One run's calls and the live views they see."""
    calls: list[tuple[Call, dt.datetime]]
    presence: Presence
    overrides: Overrides
    rotation: Rotation
    drift: Optional[Drift] = None            # the day workload: live state changing between calls
    live: Optional[LiveMasks] = None         # as the daemon's: departments' masks, told of each change


class Drift:
    """Between two calls of a day, the live state moves on as a PBX's does: a few
    phones start or end a call (about 10 % busy at any time), now and then one
    registers or unregisters (about 10 % unregistered); overrides stay."""
    def __init__(self, logins: list[str], presence: Presence, rng: random.Random, live: LiveMasks):
        self.logins, self.rng, self.live = logins, rng, live
        presence.busy, presence.unregistered = set(presence.busy), set(presence.unregistered)
        self.presence = presence

    def step(self) -> None:
        for _ in range(2):
            self._flip(self.presence.busy)
        if self.rng.random() < 0.05:
            self._flip(self.presence.unregistered)

    def _flip(self, members: set[str]) -> None:
        """One random login leaves `members` if in it, else joins it one time in nine."""
        login = self.rng.choice(self.logins)
        if login in members:
            members.discard(login)
        elif self.rng.random() < 1 / 9:
            members.add(login)
        else:
            return
        self.live.notice(login)                  # as the daemon's views tell it


def workload(snapshot: Snapshot, calls: int, rng: random.Random, day: Optional[int] = None) -> Workload:
    """The scattered workload (times over a week, live state drawn anew), or with `day`
    the calls of one working day in time order with the live state drifting."""
    logins = sorted(snapshot.by_login)
    presence = Presence(sample(logins, rng, 0.10), sample(logins, rng, 0.10))
    overrides = Overrides(sample(logins, rng, 0.02), sample(logins, rng, 0.03))
    rotation = Rotation(logins, rng)
    times = moments(rng, calls) if day is None else day_moments(rng, calls, day)
    work = [(Call(destination=to, caller=caller), now) for to, caller, now in
            zip(destinations(snapshot, rng, calls), callers(snapshot, rng, calls), times)]
    live = LiveMasks(presence, overrides)
    live.prepare(index_for(snapshot))         # as the daemon does after a reload, beside routing.prepare()
    drift = None if day is None else Drift(logins, presence, rng, live)
    return Workload(work, presence, overrides, rotation, drift, live)


@dataclass
class Timings:
    """One entry per routing decision: a call's plan(), then each resume() of a forward
    it leaves (as if nobody answered: the daemon makes those only for calls that get
    that far)."""
    wall: list[int] = field(default_factory=list)        # ns, perf_counter_ns around plan() / resume()
    on_cpu: list[int] = field(default_factory=list)      # ns, the same, less time the thread was preempted
    resumed: list[bool] = field(default_factory=list)    # resume() rather than plan()
    rings: list[str] = field(default_factory=list)       # what the decision rings: department, person, nothing
    calls: int = 0
    collections: tuple[int, ...] = (0, 0, 0)            # by the garbage collector, per generation


def run_once(snapshot: Snapshot, load: Workload, compact_every: int = 0) -> Timings:
    """Times each plan() with perf_counter_ns, then each resume() of the forwards it
    leaves, at the moment the call would get there (the ring steps before it later),
    with the same live state.  Around each pair of clock reads, the thread's CPU time
    is read: when a decision's wall time exceeds it, another process had the core for
    the difference, and `on_cpu` keeps the smaller (it never understates the cost: the
    CPU time also covers the clock reads).  Every `compact_every` calls, as the
    daemon's heap.Compactor does every 0.25 s, the heap is collected and frozen
    (untimed)."""
    out = Timings()
    presence, overrides, rotation, live = load.presence, load.overrides, load.rotation, load.live
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    before = [s["collections"] for s in gc.get_stats()]
    drift = load.drift.step if load.drift is not None else None
    for i, (c, now) in enumerate(load.calls):
        if drift is not None:
            drift()
        if compact_every and not i % compact_every:
            compact()
        c0 = cpu_clock()
        t0 = wall_clock()
        result = plan(c, snapshot, now, presence, rotation, overrides, live)
        t1 = wall_clock()
        c1 = cpu_clock()
        out.calls += 1
        note(out, t1 - t0, c1 - c0, False, result)
        waited = 0
        while result.then is not None:
            waited += sum(step.timeout for step in result.steps if step.action == "ring")
            at = now + dt.timedelta(seconds=waited)
            c0 = cpu_clock()
            t0 = wall_clock()
            result = resume(result.then, snapshot, at, presence, rotation, overrides, live)
            t1 = wall_clock()
            c1 = cpu_clock()
            note(out, t1 - t0, c1 - c0, True, result)
    out.collections = tuple(s["collections"] - b for s, b in zip(gc.get_stats(), before))
    return out


def note(out: Timings, wall: int, cpu: int, resumed: bool, result: Plan) -> None:
    out.wall.append(wall)
    out.on_cpu.append(min(wall, cpu))
    out.resumed.append(resumed)
    rung = [step.target for step in result.steps if step.action == "ring"]
    out.rings.append("nothing" if not rung else "department" if rung[0][:11] == "department:" else "person")


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def report(run: int, t: Timings) -> tuple[float, ...]:
    p50, p99, worst = percentile(t.wall, 0.50), percentile(t.wall, 0.99), max(t.wall) / 1000
    cpu50, cpu99 = percentile(t.on_cpu, 0.50), percentile(t.on_cpu, 0.99)
    print(f"run {run}: {t.calls} calls, {len(t.wall)} decisions timed  p50 {p50:6.1f} us  p99 {p99:6.1f} us  "
          f"max {worst:7.1f} us   on-CPU p50 {cpu50:6.1f} us  p99 {cpu99:6.1f} us   "
          f"gc collections {'/'.join(map(str, t.collections))}")
    parts = [("plan()", [w for w, r in zip(t.wall, t.resumed) if not r]),
             ("resume()", [w for w, r in zip(t.wall, t.resumed) if r])]
    parts += [(f"ringing {kind}", [w for w, k in zip(t.wall, t.rings) if k == kind])
              for kind in ("nothing", "person", "department")]
    for label, part in parts:
        if part:
            print(f"    {label:20s} {len(part) / len(t.wall):6.1%}  "
                  f"p50 {percentile(part, 0.50):6.1f} us  p99 {percentile(part, 0.99):6.1f} us")
    planned = parts[0][1]
    return p50, p99, cpu50, cpu99, percentile(planned, 0.50), percentile(planned, 0.99)


def spread(label: str, values: list[float]) -> None:
    print(f"{label}: min {min(values):.1f}  median {statistics.median(values):.1f}  max {max(values):.1f} us")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compact-every", type=int, default=COMPACT_EVERY,
                        help=f"collect and freeze the heap every N calls, as the daemon does every "
                             f"{COMPACT_INTERVAL} s (default: {COMPACT_EVERY}, its calls at 200/s; 0: never)")
    parser.add_argument("--workload", choices=("both", "scattered", "day"), default="both",
                        help="scattered: times over a week and live state drawn anew each run; "
                             "day: each run one working day in time order, live state drifting")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    snapshot = build_company(args.seed)
    t1 = time.perf_counter()
    prepare(snapshot)
    t2 = time.perf_counter()
    file = snapshot.file
    print(f"company: {len(file.employees)} employees, {len(file.departments)} departments, "
          f"{len(file.company.numbers)} numbers; file loaded in {t1 - t0:.2f} s, "
          f"routing index built in {t2 - t1:.2f} s")
    kinds = ("scattered", "day") if args.workload == "both" else (args.workload,)
    for kind in kinds:
        snapshot = Snapshot.build(snapshot.file)         # a fresh routing index: nothing kept from the other workload
        prepare(snapshot)
        loads = [workload(snapshot, args.calls, random.Random(args.seed * 1000 + run),
                          day=run if kind == "day" else None) for run in range(args.runs)]
        print(f"\n{kind} workload (percentiles of routing decisions: plan() and resume())")
        measure(snapshot, loads, args.compact_every)
    return 0


def measure(snapshot: Snapshot, loads: list[Workload], compact_every: int = 0) -> None:
    # As the daemon does after loading a snapshot and preparing its routing index
    # (daemon/config_reload.py), with the benchmark's own calls already built; from
    # then on run_once compacts as the daemon's Compactor does (daemon/heap.py).
    compact()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores: above ~0.5, other work competes for them)")
    results = [report(run + 1, run_once(snapshot, load, compact_every)) for run, load in enumerate(loads)]
    if len(results) > 1:
        for i, label in enumerate(("p50 over runs", "p99 over runs", "on-CPU p50 over runs", "on-CPU p99 over runs",
                                   "plan() alone: p50 over runs", "plan() alone: p99 over runs")):
            spread(label, [r[i] for r in results])
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    gc.unfreeze()


if __name__ == "__main__":
    sys.exit(main())
