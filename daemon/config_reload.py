"""The config the daemon serves from, and its reload.

`ConfigHolder` keeps the current `Snapshot`; `reload()` loads the file again and
swaps the reference in one assignment, so each new call sees either the old or
the new snapshot whole, and calls in progress keep the one they started with.
A file that does not load is refused: every problem is logged, the refusal is
counted in `callrouter_config_reloads_total{result="error"}`, and the old
snapshot keeps serving.  A file that loads but changes someone's SIP login (a
rename, when the login is derived from the name) is taken, with a warning that
says how to keep the old login (config.renames).

`ConfigWatcher` reloads when the file changes.  It compares inode, size and
mtime, so editors that write a new file and rename it over the old one are seen
too, and it waits until two polls agree before loading, so a file caught half
written is not refused for nothing.
"""
from __future__ import annotations

import logging
import os
from typing import Callable, NamedTuple, Optional

import gevent
from gevent.lock import BoundedSemaphore

from config.renames import LoginChange, gone_logins, login_changes
from config.snapshot import Snapshot
from daemon import heap
from store.loop import Loop
from daemon.metrics import Metrics

log = logging.getLogger(__name__)

Loader = Callable[[str], Snapshot]


class FileSignature(NamedTuple):
    device: int
    inode: int
    size: int
    mtime_ns: int


def signature(path: str) -> Optional[FileSignature]:
    """What identifies one version of the file; None while it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileSignature(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _in_thread(loader: Loader, path: str) -> Snapshot:
    """Load off the hub: parsing a 10,000-employee file takes up to a second of CPU,
    which in the hub's thread would stall every call being set up meanwhile.  The
    pool's thread still holds the GIL while it runs Python: with short turns the hub
    waits ~0.5 ms for it each time it wakes, not 5 ms."""
    with heap.short_gil_turns():
        snapshot, error = gevent.get_hub().threadpool.apply(_outcome, (loader, path))
    if error is not None:
        raise error
    return snapshot


def _outcome(loader: Loader, path: str) -> tuple[Optional[Snapshot], Optional[Exception]]:
    """The load's result or its error, returned rather than raised in the pool's thread:
    gevent prints the traceback of whatever a pool task raises, and a refused file is
    no crash (the holder logs its problems)."""
    try:
        return loader(path), None
    except Exception as exc:
        return None, exc


def _settle_at_start() -> None:
    """Move the first snapshot out of the garbage collector's sight.

    A 10,000-employee snapshot is hundreds of thousands of objects; left in the
    collected generations, every later full collection walks them and pauses calls
    for 0.1-0.2 s.  The snapshot is immutable and holds no reference cycles, so
    freezing it loses nothing: a replaced snapshot is still freed by reference
    counting.  No call is up yet, so the full collection first costs nobody, nor does
    giving the load's freed memory back to the system.
    """
    heap.compact()
    heap.give_back_free_memory()


class ConfigHolder:
    """The current snapshot (`current()`), its file, and the last load attempt."""

    def __init__(self, path: str, *, loader: Loader, metrics: Metrics,
                 run_loader: Callable[[Loader, str], Snapshot] = _in_thread,
                 settle: Callable[[], None] = heap.settle_after_load,
                 retire: Callable[[Snapshot], None] = lambda old: None):
        """`settle` runs after each reload, full collections still held off (the
        default freezes the new snapshot); `retire` is handed the snapshot a reload
        replaced, to free it off the call path (by default it goes with its last
        reference)."""
        self.path = path
        self._loader = loader
        self._run_loader = run_loader
        self._settle = settle
        self._retire = retire
        self._metrics = metrics
        self._lock = BoundedSemaphore()
        self.attempted = signature(path)        # the file version last loaded or refused
        with heap.full_collections_held():
            self._snapshot = loader(path)       # at startup a bad file is fatal: ConfigError goes up
        _settle_at_start()

    def current(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> bool:
        """Load the file again; True when the new snapshot now serves."""
        with self._lock, heap.full_collections_held():   # SIGHUP and the watcher may ask at once
            self.attempted = signature(self.path)
            changes: list[LoginChange] = []
            try:
                snapshot = self._run_loader(self._comparing_loader(changes), self.path)
            except Exception as exc:             # ConfigError, or the file vanished/unreadable
                self._refused(exc)
                return False
            old, self._snapshot = self._snapshot, snapshot
            self._settle()                       # before a full collection walks the new snapshot
        self._retire(old)
        self._metrics.config_reloads_total.labels(result="ok").inc()
        log.info("config reloaded from %s: %d employees, %d departments", self.path,
                 len(snapshot.by_login), len(snapshot.departments))
        for change in changes:
            log.warning("config: %s", change.message(self.path))
        return True

    def _comparing_loader(self, changes: list[LoginChange]) -> Loader:
        """The loader, also noting in `changes` the logins the new file changes (config.renames):
        a rename must not silently take a login away from its phones.  Runs where the load
        runs (the pool's thread), off the hub."""
        before = self._snapshot

        def load_and_compare(path: str) -> Snapshot:
            snapshot = self._loader(path)
            changes.extend(login_changes(gone_logins(before, snapshot), snapshot))
            return snapshot
        return load_and_compare

    def _refused(self, exc: Exception) -> None:
        self._metrics.config_reloads_total.labels(result="error").inc()
        problems = getattr(exc, "problems", None) or [exc]
        log.error("config reload refused: %s has %d problem(s); the previous config keeps serving",
                  self.path, len(problems))
        for problem in problems:
            log.error("config problem: %s", problem)


class ConfigWatcher(Loop):
    """Polls the file and calls `holder.reload()` when a new version has settled."""

    def __init__(self, holder: ConfigHolder, *, interval: float = 1.0,
                 on_reload: Callable[[bool], None] = lambda ok: None,
                 sleep: Callable[[float], None] = gevent.sleep):
        self._holder = holder
        self._interval = interval
        self._on_reload = on_reload
        self._sleep = sleep

    def _run(self) -> None:
        pending: Optional[FileSignature] = None
        while True:
            self._sleep(self._interval)
            current = signature(self._holder.path)
            if current is None or current == self._holder.attempted:
                pending = None
                continue
            if current != pending:               # changed since the last poll: let it settle
                pending = current
                continue
            pending = None
            log.info("config file %s changed; reloading", self._holder.path)
            self._on_reload(self._holder.reload())
