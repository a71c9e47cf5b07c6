"""The daemon's heap: when garbage is collected, what is frozen, and how big things are freed.

The hub sets up every call, so anything that holds the GIL for long delays them all.
Three things did (bench/README.md, "Reload under load"):

- full collections: CPython's collector walks every tracked object it has not been
  told to leave alone (`gc.freeze()`), and under traffic the objects allocated since
  the start (routing's kept legs, calls in progress) made each full collection
  50-100 ms of CPU (70-600 ms on a loaded machine).  `Compactor` collects and
  freezes what is new four times a second, at moments no store call is running:
  each full collection then walks a quarter of a second's worth of objects;
- building a snapshot in the pool thread: its new objects made the collector run
  full collections over the half-built snapshot again and again, and each time the
  hub woke it waited up to 5 ms for the GIL.  `full_collections_held()` and
  `short_gil_turns()` are worn while a snapshot is built, and `Compactor.settle()`
  freezes it afterwards without walking it;
- freeing the previous snapshot and its routing index: one deallocation in
  whichever greenlet drops the last reference.  `Retirement` keeps it until only
  it holds it, then frees it a slice at a time.

Freezing is safe for what the daemon keeps: snapshots, routing's index and kept
objects, and calls in progress hold no reference cycles (checked under 200 calls/s:
after a run, unfreezing finds no garbage cycles), so frozen ones are still freed by
reference counting when they go.  What would leak is an object frozen while alive
that later becomes part of unreachable cycles: the store's SQLAlchemy statements do,
which is why nothing is frozen while a store call runs (`store.offhub.in_progress`)
and a compaction collects before it freezes.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import gevent

from store.loop import Loop

log = logging.getLogger(__name__)

# Full collections held off: the count of young collections never reaches this.
HELD_OFF = 1 << 30
# The GIL's turn while a snapshot is built in the pool: the hub waits at most this
# long for it each time it wakes (CPython's default is 5 ms).
LOADING_SWITCH_INTERVAL = 0.0005
# Seconds between compactions: each walks what was allocated and kept meanwhile
# (at 200 calls/s one second's worth took 7-35 ms of CPU, a quarter 1-3 ms).
COMPACT_INTERVAL = 0.25
# How often a compaction that is due looks again whether the store is done.
QUIET_POLL = 0.002
# How long a reload's freeze waits for the store to be done before going ahead.
SETTLE_PATIENCE = 1.0


@contextmanager
def full_collections_held() -> Iterator[None]:
    """No full collection meanwhile; young collections go on (they stay short).

    While a snapshot is built its new objects reach the old generation by the
    hundred thousand, and the collector ran full collections over the half-built
    snapshot every few thousand allocations (a reload took 2-6 s under 200 calls/s).
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, HELD_OFF)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


@contextmanager
def short_gil_turns() -> Iterator[None]:
    """While the pool's thread runs Python: the hub gets the GIL within ~0.5 ms of waking."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, LOADING_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def settle_after_load() -> None:
    """Freeze a freshly built snapshot without walking it.

    It is in the old generation by now; collecting the young ones first keeps
    garbage out of what is frozen.  A full collection here would walk all the new
    objects (0.1-0.2 s for a snapshot built whole); a load leaves no garbage cycles
    of its own to find.
    """
    gc.collect(1)
    gc.freeze()


def give_back_free_memory() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim; ~2 ms).

    Loading a file frees as much as it keeps (the text, its pieces, the YAML parser's
    buffers), in blocks among those it keeps, and glibc gives back by itself only a
    free top of the heap: after loading 10,000 employees the daemon held some 20 MB
    more without this.  Only at start: malloc_trim holds malloc's lock for several
    ms, and beside calls every thread that allocates would wait for it.  Nothing
    where the C library has no malloc_trim (musl, macOS)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _c_function(name: str) -> Optional[Callable[..., object]]:
    """A function of the C library the interpreter already uses, None when there is none."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, TypeError, AttributeError):
        return None


_malloc_trim = _c_function("malloc_trim")


def compact() -> int:
    """A full collection, then everything that survived frozen (the collector leaves it
    alone from then on); the number of unreachable objects found."""
    found = gc.collect()
    gc.freeze()
    return found


class Compactor(Loop):
    """Every `interval` seconds, when it is safe: a full collection of what is not frozen yet, then freeze it.

    "Safe" is when `busy()` is false (no store call and nothing in the thread pool):
    an object caught alive in the middle of a store call may become cyclic garbage
    afterwards, and frozen it would never be collected.  (Waiting for the hub to be
    idle as well starved it for seconds under 200 calls/s; a compaction is one pause
    of a millisecond or two.)
    """

    def __init__(self, *, interval: float = COMPACT_INTERVAL, busy: Callable[[], bool] = lambda: False,
                 sleep: Callable[[float], None] = gevent.sleep, clock: Callable[[], float] = time.monotonic):
        self._interval = interval
        self._busy = busy
        self._sleep = sleep
        self._clock = clock
        self.compactions = 0

    def _run(self) -> None:
        while True:
            self._sleep(self._interval)
            self._wait_quiet()
            self.compact()

    def _wait_quiet(self, patience: float = float("inf")) -> bool:
        """Until `busy()` is false (store calls come and go every few milliseconds), at
        most `patience` seconds; whether it is."""
        give_up = self._clock() + patience
        while self._busy():
            if self._clock() >= give_up:
                return False
            self._sleep(QUIET_POLL)
        return True

    def compact(self) -> int:
        """Collect, then freeze what survived; the number of unreachable objects found."""
        self.compactions += 1
        return compact()

    def settle(self) -> None:
        """After a reload: freeze the new snapshot (`settle_after_load`) once the store is
        done, or after `SETTLE_PATIENCE` seconds anyway — left in the old generation,
        the next full collection would walk it whole."""
        if not self._wait_quiet(SETTLE_PATIENCE):
            log.debug("freezing the new config while a store call runs")
        settle_after_load()


class Retirement(Loop):
    """Frees big object graphs off the call path: when only it holds them, a slice at a time.

    `retire(obj, *parts)` keeps `obj` (an old snapshot) and `parts` (what goes with it,
    e.g. its routing index) until nothing else references `obj` — calls in progress
    keep the snapshot they started with — and then frees them in slices of at most
    `budget` seconds, `gap` seconds apart, so that calls are served in between.
    The graph is taken apart without changing any object: an object this holds the
    only reference to is freed after its referents are taken over, so each
    deallocation frees that one object; anything still referenced elsewhere (shared
    with the new snapshot) is let go untouched.
    """

    def __init__(self, *, poll: float = 0.5, budget: float = 0.001, gap: float = 0.001,
                 sleep: Callable[[float], None] = gevent.sleep, clock: Callable[[], float] = time.perf_counter):
        self._poll = poll
        self._budget = budget
        self._gap = gap
        self._sleep = sleep
        self._clock = clock
        self._waiting: list[tuple] = []
        self._freeing = 0

    @property
    def pending(self) -> int:
        """Groups retired and not completely freed yet."""
        return len(self._waiting) + self._freeing

    def retire(self, obj: object, *parts: object) -> None:
        self._waiting.append((obj, *parts))
        self.start()

    def stop(self) -> None:
        """Forget what is waiting (it is freed the ordinary way)."""
        super().stop()
        self._waiting.clear()

    def _run(self) -> None:
        while self._waiting:
            self._sleep(self._poll)
            free = self._free_groups()
            self._freeing = len(free)
            while free:
                self._take_apart(list(reversed(free.pop())))   # `obj` first: its parts may hang on it
                self._freeing -= 1

    def _free_groups(self) -> list[tuple]:
        """The groups whose first object nothing else references any more (taken out of waiting)."""
        free, waiting = [], []
        for group in self._waiting:
            (free if sys.getrefcount(group[0]) <= 2 else waiting).append(group)   # the group and the argument
        self._waiting = waiting
        return free

    def _take_apart(self, stack: list) -> None:
        began = started = self._clock()
        freed = seen = slices = 0
        while stack:
            obj = stack.pop()
            if sys.getrefcount(obj) <= 2:            # `obj` and the argument: dropping it frees it
                stack.extend(gc.get_referents(obj))
                freed += 1
            obj = None
            seen += 1
            if not seen & 0xFF and self._clock() - started > self._budget:
                self._sleep(self._gap)
                slices += 1
                started = self._clock()
        log.info("retired objects freed: %d objects in %d slices over %.2f s", freed, slices + 1,
                 self._clock() - began)
