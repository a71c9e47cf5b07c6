"""A bound on a whole store call, for a database that stops answering.

A server or network that drops packets refuses nothing, so no error ever comes:
libpq's keepalives and timeouts (store/engine.py) end such waits on a real network,
but a middlebox that accepts bytes and never forwards them (a stuck proxy, a
pgbouncer waiting on a dead server) holds a call for as long as it likes. The
caller bounds the whole call instead.

The bound is a gevent.Timeout, which SQLAlchemy sees as an exit exception: it
invalidates the connection it was using instead of returning it to the pool
half-way through a statement. With psycopg waiting cooperatively (the daemon
monkey-patches first) the call stops at the bound; a SQLite call in the thread pool
is left to finish on its own (its busy timeout bounds it) and its result dropped.
"""
from __future__ import annotations

from typing import Callable, TypeVar

import gevent

T = TypeVar("T")


class StoreSilent(Exception):
    """The database did not answer within the bound (an outage: nothing was refused)."""


def within(seconds: float, call: Callable[..., T], *args) -> T:
    """`call(*args)`, or StoreSilent after `seconds`."""
    timeout = gevent.Timeout(seconds)
    timeout.start()
    try:
        return call(*args)
    except BaseException as exc:
        if isinstance(exc, gevent.Timeout) and exc is not timeout:
            raise                       # someone else's bound
        if timeout.pending:
            raise                       # failed on its own, before the bound
        # Ours fired, though the driver may report it as something else: SQLAlchemy's
        # pre-ping restores autocommit in a `finally`, which fails on the interrupted
        # connection (psycopg: "can't change 'autocommit' now") and hides the timeout.
        raise StoreSilent(f"no answer from the database within {seconds:g} s") from None
    finally:
        timeout.close()
