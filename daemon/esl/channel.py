"""What the controlled channel's events say about the call, as waitable signals.

The reader greenlet feeds every event and notice of one outbound connection to
`ChannelState.observe`/`notice`; the call's greenlet waits on the signals.  Only a
few events matter:

* CHANNEL_BRIDGE: a callee answered and is talking to the caller;
* CHANNEL_HANGUP / CHANNEL_HANGUP_COMPLETE: the caller's channel is down;
* the disconnect notice: with `linger` it comes when the channel goes down
  (events still follow it), without, or when the linger time is over, it is
  FreeSWITCH's goodbye before it closes the socket.

The hangup cause is read from these events only: `originate_failed_cause` and
`last_bridge_hangup_cause` are sticky and describe earlier bridges.
"""
from __future__ import annotations

from typing import NamedTuple

from gevent.event import AsyncResult
from gevent.event import Event as Signal

from daemon.esl.event import Event


class Bridge(NamedTuple):
    """The answering leg, as CHANNEL_BRIDGE names it."""
    other_uuid: str
    destination: str       # Other-Leg-Destination-Number: the login of a user/ leg, the number of a gateway leg
    channel_name: str      # Other-Leg-Channel-Name, e.g. sofia/internal/1000@127.0.0.1:5080


class ChannelState:
    """Signals of one controlled channel; fed by the reader, awaited by the call."""

    EVENT_NAMES = frozenset({"CHANNEL_BRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"})   # all observe() reads

    def __init__(self) -> None:
        self.uuid = ""
        self.hangup_cause = ""
        self.hung_up = False               # a hangup event or a notice said so (not just a lost link)
        self.gone = Signal()               # the channel is down, or we can no longer hear about it
        self.finished = Signal()           # nothing more worth waiting for will arrive
        self.bridged = AsyncResult()       # set with a Bridge when a callee answers

    def observe(self, event: Event) -> None:
        """Take in one event of the controlled channel (never blocks)."""
        name = event.name
        if name == "CHANNEL_BRIDGE":
            if not self.bridged.ready():
                self.bridged.set(Bridge(event.get("Other-Leg-Unique-ID", ""),
                                        event.get("Other-Leg-Destination-Number", ""),
                                        event.get("Other-Leg-Channel-Name", "")))
        elif name == "CHANNEL_HANGUP":
            self._hung_up(event)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self._hung_up(event)
            self.finished.set()

    def notice(self, event: Event) -> None:
        """Take in a disconnect notice: either way the caller's channel is gone."""
        self.hung_up = True
        self.gone.set()
        if event.get("Content-Disposition") != "linger":
            self.finished.set()

    def link_closed(self) -> None:
        """The connection ended: wake every waiter."""
        self.gone.set()
        self.finished.set()

    def _hung_up(self, event: Event) -> None:
        self.hangup_cause = event.get("Hangup-Cause") or self.hangup_cause
        self.hung_up = True
        self.gone.set()
