"""A bounded memo for values that depend only on the snapshot and their key.

Final steps (voicemail, message, busy) depend on the rule alone, a person's legs in
a turn on their devices and the company's settings, never on who calls (see
routing.callerid and routing.fast.legs); so a call reuses what an earlier call built.
Memos live in the snapshot's routing index (a reload starts empty ones).  At its
limit the oldest eighth is dropped, so patterns that never come back cannot grow it
without bound, and no call pays for emptying it all at once.  It is a dict (which
keeps insertion order) so that lookups are the built-in `dict.get`.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Hashable

DEFAULT_LIMIT = 20_000          # a few MB for the benchmark company


class Memo(dict):
    def __init__(self, limit: int = DEFAULT_LIMIT):
        super().__init__()
        self.limit = limit

    def put(self, key: Hashable, value: Any) -> Any:
        """Remember `value` under `key` and return it."""
        if len(self) >= self.limit:
            for oldest in list(islice(self, max(1, self.limit // 8))):
                del self[oldest]
        self[key] = value
        return value
