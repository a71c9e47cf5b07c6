"""A service's background greenlet: the loop it runs, started and stopped with it.

It lives in the store because the store's writer and state refresher run one and the
store must not import the daemon; the daemon's own loops use it too.
"""
from __future__ import annotations

from typing import Optional

import gevent
import gevent.event


class Loop:
    """Runs the subclass's `_run` in one greenlet.

    `start()` spawns it unless it is running (a later `start()` after `stop()`
    spawns it anew). `stop(grace)` tells the loop to end — `stopping` turns true
    and `_wait_stop()` returns — and kills it if it has not ended after `grace`
    seconds (at once by default): a loop with work to finish (records to write)
    checks `stopping` and is given the time to do it; one without is just killed.
    """

    _greenlet: Optional[gevent.Greenlet] = None
    _stop_signal: Optional[gevent.event.Event] = None

    @property
    def stopping(self) -> bool:
        return self._stop_signal is not None and self._stop_signal.is_set()

    def start(self) -> None:
        if self._greenlet is None or self._greenlet.dead:
            self._stop_signal = gevent.event.Event()
            self._greenlet = gevent.spawn(self._run)

    def stop(self, grace: float = 0.0) -> bool:
        """End the loop; True when it ended by itself within `grace` seconds (or was not running)."""
        if self._stop_signal is not None:
            self._stop_signal.set()
        greenlet, self._greenlet = self._greenlet, None
        if greenlet is None:
            return True
        if grace > 0:
            greenlet.join(grace)
        ended = greenlet.dead
        greenlet.kill()
        return ended

    def _wait_stop(self, seconds: Optional[float]) -> bool:
        """Sleep `seconds`, or less if `stop()` comes first; whether it came."""
        if self._stop_signal is None:
            gevent.sleep(seconds or 0)
            return False
        return self._stop_signal.wait(seconds)

    def _run(self) -> None:
        raise NotImplementedError
