"""The end of every call in progress, as the inbound ESL link hears of it.

A call whose outbound socket is lost while its bridge runs goes on in FreeSWITCH: over
a synchronous socket the bridge runs in the channel's own thread whatever becomes of the
socket (outbound_07d, 07d2), over an asynchronous one the park loop runs it to its end.
Only the inbound link (daemon.inbound) still hears of the call: it receives
CHANNEL_HANGUP_COMPLETE for every channel, and the caller's says whether and when the
call was answered, by which leg, when it ended and why (inbound_04, outbound_07a).

Each call is watched from its `connect` to its record, so an end heard before the
socket's loss is noticed too; `wait` gives that event, or says why the link cannot
tell: it is down, or it went down meanwhile (the event may have been missed), or the
call outlived the bound.  The reader calls `heard` for every event of the switch, so it
costs one dict lookup for the events of other calls.
"""
from __future__ import annotations

import gevent
from gevent.event import AsyncResult
from gevent.event import Event as Signal

from daemon.inbound_events import Event     # a plain Event or an `event json` dict: only `get` is read

HANGUP_COMPLETE = "CHANNEL_HANGUP_COMPLETE"


class Unheard(Exception):
    """The inbound link cannot tell how the call ended; the message says why."""


class Hangups:
    """Caller channels' CHANNEL_HANGUP_COMPLETE by UUID, for the calls being watched."""

    def __init__(self) -> None:
        self.connected = False
        self._ends: dict[str, AsyncResult] = {}
        self._link_lost = Signal()              # set when the link drops; a fresh one once it is back

    # ------------------------------------------------------------------ the calls' side

    def watch(self, uuid: str) -> None:
        if uuid:
            self._ends.setdefault(uuid, AsyncResult())

    def forget(self, uuid: str) -> None:
        self._ends.pop(uuid, None)

    def wait(self, uuid: str, timeout: float) -> Event:
        """The call's CHANNEL_HANGUP_COMPLETE within `timeout` seconds; Unheard otherwise."""
        end = self._ends.get(uuid)
        if end is None:
            raise Unheard("the call was not watched")
        if end.ready():
            return end.get()
        if not self.connected:
            raise Unheard("the inbound ESL link is down")
        link_lost = self._link_lost
        gevent.wait([end, link_lost], timeout=timeout, count=1)
        if end.ready():
            return end.get()
        if link_lost.is_set():
            raise Unheard("the inbound ESL link went down while the call went on")
        raise Unheard(f"the call had not ended after {timeout:g} s")

    # ------------------------------------------------------------------ the link's side

    def heard(self, event: Event) -> None:
        """Take one event of the switch (never blocks)."""
        if event.get("Event-Name") != HANGUP_COMPLETE:
            return
        end = self._ends.get(event.get("Unique-ID") or "")
        if end is not None and not end.ready():
            end.set(event)

    def link_up(self) -> None:
        self.connected = True
        if self._link_lost.is_set():
            self._link_lost = Signal()

    def link_down(self) -> None:
        self.connected = False
        self._link_lost.set()

    @property
    def watched(self) -> int:
        return len(self._ends)
