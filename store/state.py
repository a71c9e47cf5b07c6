"""`StoreState`: overrides and department rotation as in-memory reads for routing.

Routing asks `dnd(login)`, `round_robin_start(dept)` … while planning a call, so
the answers must come from memory. A greenlet keeps that copy fresh: it writes
this node's changes as soon as they are made and re-reads the database every
`refresh_interval` seconds, so a change made on another node (or by
`callrouter employee`) applies here within about that time. Changes made here
apply locally at once and survive a database outage: they are kept, coalesced,
until they can be written.

Whoever keeps what `dnd` and `forward_to_mobile` say between calls
(routing.fast.live.LiveMasks) listens: each login whose overrides change, here or in a
re-read, is told to `listeners`.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable, Optional

import gevent.event

from store.backoff import Backoff
from store.loop import Loop
from store.database import Store
from store.deadline import within
from store.offhub import off_hub
from store.runtime import OverrideState, RuntimeChanges, RuntimeState, check_kind
from store.writer import GATHER, WRITE_TIMEOUT, is_outage

log = logging.getLogger(__name__)

NO_OVERRIDES = OverrideState()


class StoreState(Loop):
    """Implements routing.types.Rotation and routing.types.Overrides."""

    def __init__(self, store: Store, *, refresh_interval: float = 1.0, retry_max: float = 30.0,
                 gather: float = GATHER, timeout: float = WRITE_TIMEOUT):
        self.store = store
        # A bound on each read and write, as the record writer has (store/deadline.py): a
        # database that swallows packets would otherwise hold the refresh for good, and with
        # it every change from other nodes and every change made here.
        self.timeout = timeout
        self.refresh_interval = refresh_interval
        self.gather = gather            # seconds a change waits for others to share its transaction
        self._state = RuntimeState()
        self._pending = RuntimeChanges()
        self._backoff = Backoff(first=min(0.5, refresh_interval), cap=retry_max)
        self._wake = gevent.event.Event()
        self._refreshed = gevent.event.Event()
        self.listeners: list[Callable[[Optional[str]], None]] = []

    def start(self) -> "StoreState":
        """Load the state (serving defaults if the database is down) and keep it fresh."""
        try:
            self.refresh_now()
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("store unreachable at start (%s): no overrides or rotation until it is back", exc)
        super().start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Write pending changes if the database allows within `timeout`, then stop."""
        self._wake.set()
        super().stop(grace=timeout)
        if self._pending:
            log.warning("stopping with unwritten overrides/rotation changes: %s", self._pending)

    # ----------------------------------------------------------------- reads (per call)

    def round_robin_start(self, department: str) -> int:
        return self._state.round_robin.get(department, 0)

    def last_answered(self, login: str) -> Optional[dt.datetime]:
        return self._state.last_answered.get(login)

    def forward_to_mobile(self, login: str) -> bool:
        return self._state.overrides.get(login, NO_OVERRIDES).forward_to_mobile

    def dnd(self, login: str) -> bool:
        return self._state.overrides.get(login, NO_OVERRIDES).dnd

    def override(self, login: str) -> OverrideState:
        return self._state.overrides.get(login, NO_OVERRIDES)

    # ----------------------------------------------------------------- writes (never block)

    def advance_round_robin(self, department: str) -> None:
        """The next round robin call to `department` starts one member further."""
        self._state.round_robin[department] = self._state.round_robin.get(department, 0) + 1
        self._pending.add_round_robin(department)
        self._wake.set()

    def answered(self, login: str, department: Optional[str], ended_at: dt.datetime) -> None:
        """`login` finished an answered call at `ended_at` (aware): for longest idle."""
        current = self._state.last_answered.get(login)
        if current is None or current < ended_at:
            self._state.last_answered[login] = ended_at
        self._pending.add_answered(login, department, ended_at)
        self._wake.set()

    def set_override(self, login: str, kind: str, on: bool) -> None:
        """`kind` is forward_to_mobile or dnd (feature codes *21/#21, *78/*79)."""
        check_kind(kind)
        self._state.overrides[login] = self.override(login).with_(kind, on)
        self._pending.overrides[(login, kind)] = on
        self._tell([login])
        self._wake.set()
        log.info("override %s %s for %s", kind, "on" if on else "off", login)

    # ----------------------------------------------------------------- database side

    def refresh_now(self) -> None:
        """Write pending changes, then re-read everything (raises when the database fails)."""
        self._flush()
        fresh = within(self.timeout, off_hub, self.store, self.store.read_runtime)
        # Changes made while the read was in progress are not in it yet.
        before, self._state = self._state.overrides, self._pending.overlay(fresh)
        after = self._state.overrides
        self._tell([login for login in before.keys() | after.keys() if before.get(login) != after.get(login)])
        self._refreshed.set()

    def _tell(self, logins: list[str]) -> None:
        for listener in self.listeners:
            for login in logins:
                listener(login)

    def wait_refresh(self, timeout: Optional[float] = None) -> bool:
        """Wait for the next completed refresh (tests, and `callrouter run` at start)."""
        self._refreshed.clear()
        return self._refreshed.wait(timeout)

    def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, RuntimeChanges()
        try:
            within(self.timeout, off_hub, self.store, self.store.apply_runtime, batch)
        except BaseException:
            self._pending.put_back(batch)
            raise

    def _run(self) -> None:
        next_refresh = time.monotonic() + self.refresh_interval
        healthy = True
        while not self.stopping:
            if self._wake.wait(max(0.0, next_refresh - time.monotonic())):
                self._gather(next_refresh)
                self._wake.clear()
            due = self.stopping or time.monotonic() >= next_refresh
            if not healthy and not due:
                continue                  # database down: changes wait for the next retry
            try:
                if due:
                    self.refresh_now()
                    next_refresh = time.monotonic() + self.refresh_interval
                else:
                    self._flush()
                healthy = True
                self._backoff.reset()
            except Exception as exc:
                self._log_failure(exc)
                healthy = False
                next_refresh = time.monotonic() + self._backoff.next()
        self._final_flush()

    def _gather(self, next_refresh: float) -> None:
        """Let the changes of a burst of calls pile up (not past the next refresh, nor a stop).

        Each flush is a transaction on a pool thread: one per answered call cost
        ~0.6 ms of CPU per call at 200 calls/s.  Reads here see a change at once;
        only other nodes see it up to `gather` seconds later.
        """
        delay = min(self.gather, next_refresh - time.monotonic())
        if delay > 0 and not self.stopping:
            self._wait_stop(delay)

    def _final_flush(self) -> None:
        try:
            self._flush()
        except Exception as exc:
            self._log_failure(exc)

    @staticmethod
    def _log_failure(exc: Exception) -> None:
        if is_outage(exc):
            log.warning("store unreachable (%s): overrides and rotation served from memory", exc)
        else:
            log.exception("overrides/rotation refresh failed")
