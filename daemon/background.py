"""A service's background greenlet: the loop it runs, started and killed with it."""
from __future__ import annotations

from typing import Optional

import gevent


class Loop:
    """Runs the subclass's `_run` in one greenlet: `start()` spawns it unless it is
    running, `stop()` kills it (and a later `start()` spawns it anew)."""

    _greenlet: Optional[gevent.Greenlet] = None

    def start(self) -> None:
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None

    def _run(self) -> None:
        raise NotImplementedError
