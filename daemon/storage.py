"""The store as the daemon uses it: records, rotation, overrides, directory sync.

Everything here keeps the call path off the database: records are queued, the
rotation and override views are in-memory caches refreshed in the background,
and a database that is down at start only delays records (they are spooled).
Only a schema this version does not know stops the daemon: running on it could
corrupt shared state, and the message says what to run.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

import gevent
from gevent.lock import BoundedSemaphore
from sqlalchemy.exc import SQLAlchemyError

from config.snapshot import Snapshot
from daemon.callstate import department_of
from daemon.metrics import Metrics
from routing.types import Plan
from store.database import Store
from store.deadline import within
from store.migrate import SchemaError
from store.offhub import off_hub
from store.records import CallRecord
from store.state import StoreState
from store.writer import RecordWriter

log = logging.getLogger(__name__)

__all__ = ["DaemonStore", "SchemaError"]

DIRECTORY_LOOKUP_TIMEOUT = 3.0      # seconds; the generated xml_curl.conf gives a fetch 5


class DaemonStore:
    """Opens the store named by the snapshot and exposes the daemon's views of it."""

    def __init__(self, snapshot: Snapshot, metrics: Metrics, *,
                 open_store: Callable[[Snapshot], Store] = Store.for_snapshot):
        self.store = open_store(snapshot)
        self._check_schema()
        self.state = StoreState(self.store)
        self.records = RecordWriter.for_snapshot(self.store, snapshot, metrics.records)
        self._sync_lock = BoundedSemaphore()
        self._synced: Optional[Snapshot] = None         # what the directory tables last mirrored

    def _check_schema(self) -> None:
        try:
            self.store.ensure_schema()
        except SchemaError:
            raise
        except SQLAlchemyError as exc:
            log.error("database %s unreachable at start (%s): calls are routed, records are spooled "
                      "until it is back", self.store.describe(), str(exc).splitlines()[0])

    def start(self, snapshot: Snapshot) -> None:
        self.state.start()
        self.records.start()
        self.sync_directory(snapshot)

    def stop(self, timeout: float = 10.0) -> None:
        self.records.stop(timeout)
        self.state.stop()
        self.store.close()

    def sync_directory(self, snapshot: Snapshot) -> None:
        """Mirror employees and departments in the background after a (re)load.

        One sync at a time, each writing only what changed since the last one that
        succeeded (after a failure, everything)."""
        def sync() -> None:
            with self._sync_lock:
                try:
                    off_hub(self.store, self.store.sync_directory, snapshot, self._synced)
                except SQLAlchemyError as exc:
                    self._synced = None
                    log.warning("directory not synced to the database (%s); the next reload retries",
                                str(exc).splitlines()[0])
                else:
                    self._synced = snapshot
        gevent.spawn(sync)

    def a1_for(self, login: str, domain: str) -> Optional[str]:
        """The SIP A1 hash for the directory; None when unknown or made for another domain.

        A database error propagates: the directory must answer 503 (ask again), not
        "no such user", which makes phones drop their registration. The lookup runs
        off the hub like every other store call (store/offhub.py), and within a bound
        below mod_xml_curl's own timeout, so a silent database still gets its 503.
        """
        return within(DIRECTORY_LOOKUP_TIMEOUT, off_hub, self.store, self.store.a1_for, login, domain)

    # ------------------------------------------------------------ call-path hooks (never block)

    def on_routed(self, plan: Plan, snapshot: Snapshot) -> None:
        """Advance the round-robin pointer of each round-robin department this call rings."""
        seen = set()
        for step in plan.steps:
            name = department_of(step)
            if not name or name in seen:
                continue
            seen.add(name)
            department = snapshot.departments.get(name)
            if department is not None and department.strategy == "round_robin":
                self.state.advance_round_robin(name)

    def submit(self, record: CallRecord) -> None:
        """The daemon's record sink: queue the record, and count an answered call's end.

        Longest idle orders members by when their last answered call *ended*, so the
        rotation learns of an answer here, once per call, and not at the answer
        (a member in a long call is skipped as busy meanwhile).
        """
        self.records.submit(record)
        if record.answered_by and record.ended is not None:
            self.state.answered(record.answered_by, _answering_department(record), record.ended)


def _answering_department(record: CallRecord) -> Optional[str]:
    """The department whose step was answered, None for an employee's own step."""
    for step in record.steps:
        if step.answered_by == record.answered_by and (name := department_of(step)):
            return name
    return None
