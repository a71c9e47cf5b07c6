"""Delays between attempts while a peer is down (FreeSWITCH's event socket, the
database): exponential, capped, with jitter.

Jitter keeps several daemons (or one daemon's retries after a FreeSWITCH or database
restart) from knocking in lockstep.  The random source is injected so tests see fixed delays.
"""
from __future__ import annotations

import random as _random
from typing import Callable


class Backoff:
    """Delays first, first*factor, … up to `cap`, each scaled by a random factor in [1-jitter, 1]."""

    def __init__(self, *, first: float = 0.5, factor: float = 2.0, cap: float = 30.0,
                 jitter: float = 0.5, random: Callable[[], float] = _random.random):
        self.first, self.factor, self.cap, self.jitter = first, factor, cap, jitter
        self._random = random
        self._attempt = 0

    def next(self) -> float:
        """The delay before the next attempt; each call doubles the base up to the cap."""
        base = min(self.cap, self.first * self.factor ** self._attempt)
        self._attempt += 1
        return self._jittered(base)

    def at_cap(self) -> float:
        """The longest delay: for failures that retrying soon cannot fix (a wrong password)."""
        self._attempt += 1
        return self._jittered(self.cap)

    def reset(self) -> None:
        """After a success the next failure starts again from `first`."""
        self._attempt = 0

    def _jittered(self, base: float) -> float:
        return base * (1.0 - self.jitter * self._random())
