"""Benchmark of `routing.plan()` for a company of 10,000 employees and 500 departments.

    .venv/bin/python bench/plan_bench.py [--runs 5] [--calls 20000] [--seed 1]

The company is bench/company_gen.py's (the one the reload benchmark loads), read
through the real loader: mixed devices and mobile delays, office hours, lunch breaks,
night shifts and no schedule, employees in other time zones, current, past and
open-ended absences, forwards to colleagues and departments, all five department
strategies with 20 members each, 1,000 company numbers.  Each run times plan() over
a mix of destinations (extensions, department numbers, company numbers dialled in
several forms, logins, unknown numbers) at times spread over a week, with some
phones unregistered or busy and some DND / forward-to-mobile overrides, and prints
p50 / p99 / max in microseconds.  The target is p99 <= 50 us.
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
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from company_gen import company_yaml  # noqa: E402
from config.loader import load_text  # noqa: E402
from config.snapshot import Snapshot  # noqa: E402
from routing import plan, prepare  # noqa: E402
from routing.types import Call  # noqa: E402

ZONE = ZoneInfo("Europe/Moscow")
START = dt.datetime(2026, 12, 14, 0, 0, tzinfo=ZONE)           # a Monday


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
    def __init__(self, logins: list[str], rng: random.Random):
        self.counter = 0
        self.answered = {login: START - dt.timedelta(minutes=rng.randrange(10_000))
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
        out.append((START + dt.timedelta(days=day, minutes=minute, seconds=rng.randrange(60))).astimezone(dt.timezone.utc))
    return out


def run_once(snapshot: Snapshot, calls: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """Timings in ns, and for each call how many departments its plan rings."""
    logins = sorted(snapshot.by_login)
    presence = Presence(sample(logins, rng, 0.10), sample(logins, rng, 0.10))
    overrides = Overrides(sample(logins, rng, 0.02), sample(logins, rng, 0.03))
    rotation = Rotation(logins, rng)
    work = [(Call(destination=to, caller=caller), now) for to, caller, now in
            zip(destinations(snapshot, rng, calls), callers(snapshot, rng, calls), moments(rng, calls))]
    gc.collect()
    gc.freeze()                      # the benchmark's own data is not the daemon's garbage
    timings, rung = [], []
    clock = time.perf_counter_ns
    for c, now in work:
        t0 = clock()
        result = plan(c, snapshot, now, presence, rotation, overrides)
        timings.append(clock() - t0)
        rung.append(sum(1 for step in result.steps if step.action == "ring" and step.target[:11] == "department:"))
    return timings, rung


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    snapshot = build_company(args.seed)
    t1 = time.perf_counter()
    prepare(snapshot)
    t2 = time.perf_counter()
    file = snapshot.file
    print(f"company: {len(file.employees)} employees, {len(file.departments)} departments, "
          f"{len(file.company.numbers)} numbers; file loaded in {t1 - t0:.2f} s, routing index built in {t2 - t1:.2f} s")
    # As the daemon does after loading a snapshot: the config's hundreds of thousands of
    # objects live as long as the snapshot, so the collector should not rescan them.
    gc.collect()
    gc.freeze()
    p50s, p99s = [], []
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores: above ~0.5, other work competes for them)")
    for run in range(args.runs):
        timings, rung = run_once(snapshot, args.calls, random.Random(args.seed * 1000 + run))
        p50, p99, worst = percentile(timings, 0.50), percentile(timings, 0.99), max(timings) / 1000
        p50s.append(p50)
        p99s.append(p99)
        print(f"run {run + 1}: {len(timings)} calls timed  p50 {p50:6.1f} us  p99 {p99:6.1f} us  max {worst:7.1f} us")
        for label, keep in (("no department", lambda n: n == 0), ("one department", lambda n: n == 1),
                            ("2-3 departments", lambda n: n > 1)):
            part = [t for t, n in zip(timings, rung) if keep(n)]
            if part:
                print(f"    plans ringing {label:16s} {len(part) / len(timings):6.1%}  "
                      f"p50 {percentile(part, 0.50):6.1f} us  p99 {percentile(part, 0.99):6.1f} us")
    if args.runs > 1:
        print(f"p50 over runs: min {min(p50s):.1f}  median {statistics.median(p50s):.1f}  max {max(p50s):.1f} us")
        print(f"p99 over runs: min {min(p99s):.1f}  median {statistics.median(p99s):.1f}  max {max(p99s):.1f} us")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
