"""Database calls from the daemon's background greenlets, kept off the gevent hub.

SQLite's driver blocks the whole thread while it works: run on the hub, every
batch of call records or rotation refresh would stall every call being set up
(measured: a third of the hub's time at 200 calls/s).  So SQLite calls run in
gevent's pool of native threads, where sqlite3 releases the GIL.  psycopg 3
cooperates with gevent (the daemon patches the standard library at start), so
PostgreSQL calls run in place.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import gevent

T = TypeVar("T")


def off_hub(store, call: Callable[..., T], *args) -> T:
    """`call(*args)`, in a native thread when `store` is SQLite; exceptions propagate."""
    if store.is_sqlite:
        return gevent.get_hub().threadpool.apply(call, args)
    return call(*args)
