"""The daemon as the benchmarks run it: `callrouter run`'s App, in a process of its own.

    python bench/daemon_process.py -c FILE --samples OUT.json [--at 2026-12-02T11:00:00+03:00]

It is `callrouter run -c FILE --listen 127.0.0.1:0 --http 127.0.0.1:0` (gevent's monkey
patching, key=value logs on stderr, SIGHUP reloads, SIGTERM drains and exits), except:

- the clock starts at --at and runs at real speed, so schedules and absences give the
  same plans whatever the time of day the bench runs;
- every value the daemon observes into callrouter_call_setup_seconds (outbound `connect`
  received -> first `bridge` sent) is also kept, with the CLOCK_MONOTONIC time it was
  observed at (the simulator's process reads the same clock), and written to --samples
  as JSON at exit: the histogram's buckets are too coarse for a p99;
- a greenlet wakes every 10 ms and keeps how late each wake-up was (how long the hub was
  busy or blocked: what every call waiting on it waited too), and every garbage
  collection over 1 ms, both written with the samples;
- once serving it prints `ready outbound=HOST:PORT http=HOST:PORT` on stdout;
- with --trace-memory, tracemalloc runs and each SIGUSR1 writes the lines of code
  holding the most memory to --samples + `.memory-N.txt`, and the whole snapshot to
  `.memory-N.tracemalloc` (a diagnosis: it slows calls several times);
- with --profile, cProfile watches the hub's thread (every greenlet; not the
  pool's threads) from the first call on, and the stats go to --samples +
  `.pstats` at exit: call counts per call are exact, times are inflated.

A process of its own, so that the CPU time and memory the bench reads from /proc are
the daemon's alone (the simulator costs more per call than the daemon does).
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from array import array
from typing import Callable

import gevent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DEFAULT_AT = "2026-12-02T11:00:00+03:00"       # a Wednesday morning in Moscow: office hours, no holiday
HUB_TICK = 0.01                                # seconds between the hub probe's wake-ups


class HubProbe:
    """Wakes every HUB_TICK seconds and keeps (when, how late) for each wake-up."""

    def __init__(self):
        self.at = array("d")
        self.late = array("d")

    def run(self) -> None:
        due = time.monotonic() + HUB_TICK
        while True:
            gevent.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            self.at.append(now)
            self.late.append(now - due)
            due = max(due + HUB_TICK, now)


class GcProbe:
    """Keeps (when, seconds, generation) of each garbage collection that took over 1 ms."""

    def __init__(self):
        self.pauses: list[tuple[float, float, int]] = []
        self._started = 0.0

    def install(self) -> None:
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        now = time.monotonic()
        if phase == "start":
            self._started = now
        elif now - self._started > 0.001:
            self.pauses.append((now, now - self._started, info["generation"]))


class SetupRecorder:
    """Stands in for the setup histogram: observes into it and keeps (when, seconds)."""

    def __init__(self, histogram):
        self._histogram = histogram
        self.at = array("d")
        self.seconds = array("d")

    def observe(self, value: float) -> None:
        self._histogram.observe(value)
        self.at.append(time.monotonic())
        self.seconds.append(value)

    def dump(self, path: str, hub: HubProbe, collections: GcProbe) -> None:
        with open(path, "w") as f:
            json.dump({"at": self.at.tolist(), "seconds": self.seconds.tolist(),
                       "hub_at": hub.at.tolist(), "hub_late": hub.late.tolist(), "gc": collections.pauses}, f)


def clock_from(start: dt.datetime, monotonic: Callable[[], float] = time.monotonic) -> Callable[[], dt.datetime]:
    """A `now()` that reads `start` when it is made and runs at real speed from there."""
    origin = monotonic()
    return lambda: start + dt.timedelta(seconds=monotonic() - origin)


def trace_memory(prefix: str, top: int = 40) -> None:
    """Start tracemalloc; on each SIGUSR1 write where the memory in use was allocated."""
    import signal
    import tracemalloc

    tracemalloc.start(12)
    dumps = iter(range(1, 1000))

    def dump() -> None:
        snapshot = tracemalloc.take_snapshot()
        stats = snapshot.statistics("lineno")
        number = next(dumps)
        snapshot.dump(f"{prefix}.memory-{number}.tracemalloc")       # for Snapshot.load(...).compare_to
        with open(f"{prefix}.memory-{number}.txt", "w") as f:
            f.write(f"total {sum(s.size for s in stats) / 2**20:.1f} MiB in {len(stats)} lines\n")
            f.writelines(f"{stat}\n" for stat in stats[:top])
            for stat in snapshot.statistics("traceback")[:8]:
                f.write(f"\n{stat}\n" + "\n".join(stat.traceback.format()) + "\n")

    gevent.signal_handler(signal.SIGUSR1, dump)


def profile_from_first_call(recorder: SetupRecorder):
    """A cProfile.Profile that starts with the first setup observed (not during the load)."""
    import cProfile

    profiler = cProfile.Profile()
    observe = recorder.observe

    def first(value: float) -> None:
        recorder.observe = observe
        profiler.enable()
        observe(value)

    recorder.observe = first
    return profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--samples", required=True, help="where to write the setup latencies at exit (JSON)")
    parser.add_argument("--at", default=DEFAULT_AT, type=dt.datetime.fromisoformat,
                        help="the daemon's clock at start (ISO 8601 with an offset)")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--listen", default="127.0.0.1:0",
                        help="the outbound port (the fault run restarts the daemon on the same one)")
    parser.add_argument("--trace-memory", action="store_true", help="tracemalloc; SIGUSR1 writes the top lines")
    parser.add_argument("--profile", action="store_true", help="cProfile the hub's thread; stats to SAMPLES.pstats")
    args = parser.parse_args(argv)

    from gevent import monkey
    monkey.patch_all()
    from daemon import logs
    logs.setup(args.log_level)
    from daemon.app import App

    app = App(args.config, now=clock_from(args.at), listen=args.listen, http="127.0.0.1:0")
    recorder = SetupRecorder(app.metrics.call_setup_seconds)
    app.metrics.call_setup_seconds = recorder
    if args.trace_memory:
        trace_memory(args.samples)
    app.start()
    hub, collections = HubProbe(), GcProbe()
    gevent.spawn(hub.run)
    collections.install()
    (host, port), (http_host, http_port) = app.outbound.address, app.http.address
    print(f"ready outbound={host}:{port} http={http_host}:{http_port}", flush=True)
    profiler = profile_from_first_call(recorder) if args.profile else None
    code = app.serve_forever()
    recorder.dump(args.samples, hub, collections)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.samples + ".pstats")
    return code


if __name__ == "__main__":
    sys.exit(main())
