"""Waiting in tests: on a condition, never for a fixed time.

`wait_until` polls a predicate cooperatively (the daemon's greenlets, servers and
simulators run meanwhile) and fails the test after `timeout`, naming what it waited for.

For a negative check ("nothing happens"), wait until the thing that could have made it
happen has run — the loop polled N more times, the predicate was asked — then assert:
a fixed sleep checks nothing on a machine slow enough that the loop never ran.
"""
from __future__ import annotations

from typing import Callable

import gevent

WAIT = 5.0          # seconds: long enough for a loaded CI machine, short enough to fail fast
POLL = 0.002        # seconds between two looks


def wait_until(predicate: Callable[[], object], timeout: float = WAIT, what: str = "condition") -> None:
    """Let greenlets run until `predicate()` holds; an AssertionError after `timeout` seconds."""
    with gevent.Timeout(timeout, AssertionError(f"timed out after {timeout:g} s waiting for {what}")):
        while not predicate():
            gevent.sleep(POLL)


class Counted:
    """A callable standing in for an injected `sleep` or `busy`: counts its calls, then delegates.

    `wait_for_more(n)` returns once it was called `n` more times — the loop that calls
    it has run that many more rounds.
    """

    def __init__(self, function: Callable):
        self._function = function
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self._function(*args)

    def wait_for_more(self, n: int, timeout: float = WAIT) -> None:
        target = self.calls + n
        wait_until(lambda: self.calls >= target, timeout, what=f"{n} more calls")
