"""The file-system calls of call recordings, run off the event loop and bounded in time.

`recordings.dir` is often a network mount (NFS, SMB), where one stat, mkdir or read can
stall for seconds, or for good on a hard mount.  On the event loop that would stall
every call the daemon routes; here it runs in a native thread while the call's greenlet
waits at most a bound, and only that call's recording pays for it (daemon.recording).

The threads are a pool of their own, not the hub's: calls stuck on a dead mount must
not take the threads that the store's SQLite calls and gevent's name lookups use, nor
keep the heap's compactor waiting for the hub's pool to be idle (daemon.app).  At most
`threads` calls run at once (a stalled mount cannot make the daemon start more); a call
that finds them all busy waits for one within its own bound, never longer.  A call that
timed out keeps its thread until the file system answers.
"""
from __future__ import annotations

from typing import Callable, Optional, TypeVar

import gevent
from gevent.lock import BoundedSemaphore
from gevent.threadpool import ThreadPool

T = TypeVar("T")

THREADS = 4
# Making (or finding) the day directory, before the call rings anyone.  It doubles as a
# probe of the mount: FreeSWITCH's record_session opens the file in the caller's channel
# thread before the bridge runs, so on a mount that does not answer it would hold the
# call itself.  Half a second of post-dial delay, only while the storage is in trouble.
DIRECTORY_TIMEOUT = 0.5
# Each call of the check at the call's end: it only delays the call's record.
CHECK_TIMEOUT = 5.0


class DiskTimeout(Exception):
    """The file system did not answer within the bound."""


def _call(function: Callable[..., T], *args) -> T:
    return function(*args)


class RecordingDisk:
    """Runs `function(*args)` in one of its threads; `run` waits for it at most `timeout`.

    `through` is what the thread runs, `through(function, *args)`: a test stands a slow
    disk in with one that waits before calling on.
    """

    def __init__(self, threads: int = THREADS, directory_timeout: float = DIRECTORY_TIMEOUT,
                 check_timeout: float = CHECK_TIMEOUT, through: Callable[..., object] = _call):
        self.directory_timeout = directory_timeout
        self.check_timeout = check_timeout
        self._through = through
        self._threads = threads
        self._pool: Optional[ThreadPool] = None
        self._slots = BoundedSemaphore(threads)

    def run(self, timeout: float, function: Callable[..., T], *args) -> T:
        """`function(*args)`'s result or exception; DiskTimeout after `timeout` seconds."""
        with gevent.Timeout(timeout, DiskTimeout(f"no answer within {timeout:g} s")):
            self._slots.acquire()
            result = self._ensure_pool().spawn(self._through, function, *args)
            result.rawlink(self._release)       # when the thread is done, even after a timeout
            return result.get()

    def close(self) -> None:
        """Let the idle threads go (a thread stuck on the file system goes when it answers)."""
        if self._pool is not None:
            self._pool.kill()
            self._pool = None

    def _ensure_pool(self) -> ThreadPool:
        # Made on first use, in the hub's thread that uses it (a pool belongs to one hub).
        if self._pool is None:
            self._pool = ThreadPool(self._threads)
        return self._pool

    def _release(self, _result) -> None:
        self._slots.release()
