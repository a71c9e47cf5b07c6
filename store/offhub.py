"""Database calls from the daemon's background greenlets, kept off the gevent hub.

SQLite's driver blocks the whole thread while it works: run on the hub, every
batch of call records or rotation refresh would stall every call being set up
(measured: a third of the hub's time at 200 calls/s).  So SQLite calls run in
gevent's pool of native threads, where sqlite3 releases the GIL.  psycopg 3
cooperates with gevent (the daemon patches the standard library at start), so
PostgreSQL calls run in place.

`in_progress()` counts the calls under way, wherever they run: the daemon freezes
its heap only when there are none (daemon/heap.py), since SQLAlchemy statements
caught alive in the middle of a call become garbage cycles afterwards.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import gevent

T = TypeVar("T")

_running = 0            # only changed on the hub's thread: the pool's threads run `call` alone


def off_hub(store, call: Callable[..., T], *args) -> T:
    """`call(*args)`, in a native thread when `store` is SQLite; exceptions propagate."""
    global _running
    _running += 1
    try:
        if store.is_sqlite:
            return gevent.get_hub().threadpool.apply(call, args)
        return call(*args)
    finally:
        _running -= 1


def in_progress() -> int:
    """How many `off_hub` calls are under way."""
    return _running
