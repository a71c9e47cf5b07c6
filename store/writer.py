"""`RecordWriter`: call records from the call path to the database, never blocking it.

`submit()` appends to an in-memory queue and returns; one greenlet writes the
queue in batches. When the database is unreachable the batch, and every record
submitted until it is back, goes to the spool file (fsync'd); the spool is
replayed in order before anything newer, so records reach the database in the
order the calls ended, each exactly once (the store ignores a UUID it has).

A record the database refuses on its own (not an outage: bad data) would block
the queue forever if retried; it is set aside in `<spool>.rejected` with an error
in the log instead, and the rest go on.

Once idle, the writer lets `gather` seconds of records pile up before it writes:
a transaction costs about the same CPU for one record as for forty (~0.8 ms of
the daemon's CPU per call at 200 calls/s when every call was its own), and
nobody reads a record within a fifth of a second of the hangup.

A write that gets no answer at all (a database or network dropping packets) is
abandoned after `write_timeout` and its batch spooled like any outage's
(store/deadline.py): the records are delayed, never lost, and the queue never hangs
behind it. Should the abandoned write have committed after all, the replay writes
nothing twice (the store ignores a UUID it has).
"""
from __future__ import annotations

import collections
import logging
import os
import time
from pathlib import Path
from typing import Optional

import gevent
import gevent.event
from sqlalchemy import exc as sa_exc

from store.backoff import Backoff
from store.loop import Loop
from config.snapshot import Snapshot
from store.database import Store
from store.deadline import StoreSilent, within
from store.metrics import RecordMetrics
from store.offhub import off_hub
from store.records import CallRecord
from store.spool import Spool, encode

log = logging.getLogger(__name__)

SPOOL_LINGER = 0.1      # seconds to gather records before an fsync while the database is down
GATHER = 0.2            # seconds to gather records into one transaction once the writer was idle
# A write's bound: above PostgreSQL's statement_timeout plus a connect_timeout (store/engine.py),
# so a slow but working database finishes, and a silent one is given up.
WRITE_TIMEOUT = 20.0


def is_outage(exc: BaseException) -> bool:
    """True when the database (or the way to it) failed, not the data we sent."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                            sa_exc.DisconnectionError, OSError, StoreSilent))


class RecordWriter(Loop):
    """The daemon's `RecordSink` backed by the store."""

    def __init__(self, store: Store, spool_path: str | Path, metrics: Optional[RecordMetrics] = None, *,
                 batch_size: int = 200,
                 retry_initial: float = 0.5, retry_max: float = 30.0, gather: float = GATHER,
                 write_timeout: float = WRITE_TIMEOUT):
        self.store = store
        self.write_timeout = write_timeout
        self.metrics = metrics if metrics is not None else RecordMetrics()
        self.batch_size = batch_size
        self.gather = gather
        self.spool = Spool(spool_path)
        self.rejected_path = Path(f"{spool_path}.rejected")
        self._queue: collections.deque[CallRecord] = collections.deque()
        self._inflight: list[CallRecord] = []
        self._backoff = Backoff(first=retry_initial, cap=retry_max)
        self._wake = gevent.event.Event()
        self._idle = gevent.event.Event()

    @classmethod
    def for_snapshot(cls, store: Store, snapshot: Snapshot, metrics: Optional[RecordMetrics] = None,
                     **kwargs) -> "RecordWriter":
        """The writer with the config's `store.spool` (a relative path is relative to the config file)."""
        spool = Path(snapshot.file.store.spool)
        if not spool.is_absolute():
            spool = Path(snapshot.source).resolve().parent / spool
        return cls(store, spool, metrics, **kwargs)

    # ----------------------------------------------------------------- API

    def start(self) -> "RecordWriter":
        if self.spool.pending():
            log.info("spool %s holds call records from an earlier outage: replaying them first", self.spool.path)
        super().start()
        return self

    def submit(self, record: CallRecord) -> None:
        """Queue a finished call's record: O(1), never blocks, never raises."""
        try:
            self._queue.append(record)
            self._idle.clear()
            self._wake.set()
            self.metrics.queue_depth.set(len(self._queue))
        except Exception:               # the call path must not fail because of bookkeeping
            log.exception("call %s: could not queue its record", getattr(record, "uuid", "?"))

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until every record so far is in the database; False on timeout (e.g. it is down)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued (or spool it if the database is down) and end the greenlet.

        After `timeout` a write still hanging is abandoned: its batch and the queue go
        to the spool, to be replayed at the next start.
        """
        self._wake.set()
        if not super().stop(grace=timeout):
            log.warning("record writer did not finish within %.1f s: spooling what is left", timeout)
        self._spool_everything()

    # ----------------------------------------------------------------- the greenlet

    def _run(self) -> None:
        while not self.stopping:
            try:
                self._step()
            except Exception:             # a bug here must not silently end the writer
                log.exception("record writer: unexpected failure; retrying")
                self._wait_for_retry(self._backoff.next())
        self._finish()

    def _step(self) -> None:
        if not self._queue and not self.spool.pending():
            self._idle.set()
            self._wake.wait()
            self._wait_stop(self.gather)     # a burst of calls ends in one transaction
            self._wake.clear()
        elif self._write_next():
            self._backoff.reset()
        else:
            self._spool_everything()
            self._wait_for_retry(self._backoff.next())

    def _finish(self) -> None:
        """At stop: write the queue if nothing older waits in the spool, else spool it behind."""
        while self._queue and not self.spool.pending() and self._write_next():
            pass
        self._spool_everything()

    def _write_next(self) -> bool:
        """Write the oldest records (spool before queue); False when the database is down."""
        if self.spool.pending():
            records, offset = self.spool.read(self.batch_size)
            if not self._write(records):
                return False
            self.spool.mark_replayed(offset)
            if not self.spool.pending():
                log.info("spool %s replayed: the store has caught up", self.spool.path)
            return True
        self._inflight = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
        self.metrics.queue_depth.set(len(self._queue))
        if not self._write(self._inflight):
            return False
        self._inflight = []
        return True

    def _write(self, batch: list[CallRecord]) -> bool:
        """True when the batch is done with (written, or refused and set aside)."""
        try:
            within(self.write_timeout, off_hub, self.store, self.store.write_records, batch)
            return True
        except Exception as exc:
            self.metrics.write_failures_total.inc()
            if is_outage(exc):
                log.warning("store %s unreachable (%s): %d call records held", self.store.describe(),
                            first_line(exc), len(batch))
                return False
            if len(batch) == 1:
                self._reject(batch[0], exc)
                return True
            log.warning("a batch of %d call records was refused (%s): writing them one by one", len(batch),
                        first_line(exc))
            return all(self._write([record]) for record in batch)

    def _wait_for_retry(self, delay: float) -> None:
        """Sleep until the next attempt, spooling records as they arrive meanwhile."""
        deadline = time.monotonic() + delay
        while not self.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(remaining):
                gevent.sleep(min(SPOOL_LINGER, remaining))     # one fsync for a burst, not one per call
                self._wake.clear()
                self._spool_everything()

    def _spool_everything(self) -> None:
        """Move the in-flight batch and the queue, oldest first, to the spool."""
        queued = len(self._queue)
        records = self._inflight + list(self._queue)
        if not records:
            return
        try:
            written = self.spool.append(records)
        except OSError:
            log.exception("cannot write the spool %s: %d call records stay in memory", self.spool.path, len(records))
            return
        self._inflight = []
        for _ in range(queued):
            self._queue.popleft()
        self.metrics.spooled_total.inc(written)
        self.metrics.queue_depth.set(len(self._queue))
        log.info("%d call records spooled to %s until the store is back", written, self.spool.path)

    def _reject(self, record: CallRecord, exc: BaseException) -> None:
        log.error("call %s: the store refuses its record (%s); kept in %s", record.uuid, first_line(exc),
                  self.rejected_path)
        try:
            fd = os.open(self.rejected_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)   # as the spool
            with open(fd, "a", encoding="utf-8") as f:
                f.write(encode(record) + "\n")
        except (OSError, TypeError, ValueError):
            log.exception("call %s: cannot keep the refused record in %s", record.uuid, self.rejected_path)


def first_line(exc: BaseException) -> str:
    """An error's first line for a log line (a database error's text runs on with its SQL)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
