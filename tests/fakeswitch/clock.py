"""The simulator's scaled clock.

Sim time runs ``1/scale`` times faster than real time: with ``scale=0.01`` a 20 s ring
takes 0.2 s.  Everything the simulator schedules goes through :meth:`SimClock.sleep`, so
gevent timers are the only real waits.  Sim second 0 maps to ``epoch`` in the simulated
wall clock, which is what event timestamps (Event-Date-*, *_epoch variables) show.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import lru_cache

import gevent


class SimClock:
    def __init__(self, scale: float = 0.01, epoch: float | None = None, monotonic=time.monotonic) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._monotonic = monotonic
        self._start = monotonic()
        self.epoch = time.time() if epoch is None else epoch

    def now(self) -> float:
        """Sim seconds since the simulator started."""
        return (self._monotonic() - self._start) / self.scale

    def real(self, sim_seconds: float) -> float:
        """Real seconds that ``sim_seconds`` take."""
        return max(0.0, sim_seconds) * self.scale

    def sleep(self, sim_seconds: float) -> None:
        gevent.sleep(self.real(sim_seconds))

    def epoch_us(self, sim_time: float | None = None) -> int:
        """Simulated wall clock in microseconds (FreeSWITCH's *_uepoch and timestamps)."""
        t = self.now() if sim_time is None else sim_time
        return int((self.epoch + t) * 1_000_000)


@lru_cache(maxsize=256)
def _stamps(epoch_s: int) -> tuple[str, str]:
    moment = datetime.fromtimestamp(epoch_s, timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def local_stamp(epoch_us: int) -> str:
    """``2026-11-26 21:39:25``: Event-Date-Local and the *_stamp variables (the box runs UTC)."""
    return _stamps(epoch_us // 1_000_000)[0]


def gmt_stamp(epoch_us: int) -> str:
    """``Thu, 26 Nov 2026 21:39:25 GMT``: Event-Date-GMT."""
    return _stamps(epoch_us // 1_000_000)[1]
