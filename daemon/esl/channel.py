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

Over a synchronous socket (`sync=True`) FreeSWITCH never sends CHANNEL_HANGUP_COMPLETE
(outbound_07a, 07f1, 07f2) and the daemon subscribes to CHANNEL_EXECUTE_COMPLETE only:
an application's completion on a channel that is down (`Answer-State: hangup`) carries
the hangup cause, a bridge's completion with `SUCCESS` names the leg that answered
(`Other-Leg-*`) and when the caller was answered (`Caller-Channel-Answered-Time`), and
the linger notice, which comes after every held event, is the last word.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from gevent.event import AsyncResult
from gevent.event import Event as Signal

from daemon.esl.event import Event


class Bridge(NamedTuple):
    """The answering leg, as CHANNEL_BRIDGE (or a bridge's completion) names it."""
    other_uuid: str
    destination: str       # Other-Leg-Destination-Number: the login of a user/ leg, the number of a gateway leg
    channel_name: str      # Other-Leg-Channel-Name, e.g. sofia/internal/1000@127.0.0.1:5080
    ago: float = 0.0       # seconds between the answer and the event that told us (held events, sync)

    @classmethod
    def from_event(cls, event: Event) -> "Bridge":
        return cls(event.get("Other-Leg-Unique-ID", ""), event.get("Other-Leg-Destination-Number", ""),
                   event.get("Other-Leg-Channel-Name", ""), answered_ago(event))


def answered_ago(event: Event) -> float:
    """How long before `event` fired the caller was answered (0 when unknown), from
    FreeSWITCH's own microsecond stamps: a synchronous socket delivers a bridge's
    events only when the conversation is over, each with its original timestamp."""
    return stamp_ago(event, "Caller-Channel-Answered-Time") or 0.0


def stamp_ago(event: Event, header: str) -> Optional[float]:
    """Seconds between the moment a `Caller-Channel-*-Time` header stamps and the event's
    own `Event-Date-Timestamp` (None when unstamped: 0).  Both are FreeSWITCH's clock, so
    the daemon's need not agree with it."""
    fired, stamp = event.get("Event-Date-Timestamp") or "", event.get(header) or ""
    if not (fired.isdigit() and stamp.isdigit()) or int(stamp) == 0:
        return None
    return max(int(fired) - int(stamp), 0) / 1e6


class ChannelState:
    """Signals of one controlled channel; fed by the reader, awaited by the call."""

    EVENT_NAMES = frozenset({"CHANNEL_BRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
                             "CHANNEL_EXECUTE_COMPLETE",
                             "RECORD_START", "RECORD_STOP"})   # all observe() reads

    def __init__(self, sync: bool = False) -> None:
        self.sync = sync
        self.uuid = ""
        self.hangup_cause = ""
        self.hung_up = False               # a hangup event or a notice said so (not just a lost link)
        self.gone = Signal()               # the channel is down, or we can no longer hear about it
        self.finished = Signal()           # nothing more worth waiting for will arrive
        self.bridged = AsyncResult()       # set with a Bridge when a callee answers
        # record_session (daemon.recording), subscribed to for recorded calls only
        self.record_started = False
        self.record_stopped = False

    def observe(self, event: Event) -> None:
        """Take in one event of the controlled channel (never blocks)."""
        name = event.name
        if name == "CHANNEL_BRIDGE":
            if not self.bridged.ready():
                self.bridged.set(Bridge.from_event(event))
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            if (event.get("Application") == "bridge" and not self.bridged.ready()
                    and event.get("variable_originate_disposition") == "SUCCESS"):
                self.bridged.set(Bridge.from_event(event))
            if event.get("Answer-State") == "hangup":
                self._hung_up(event)
                if self.sync:           # the last of the flush: nothing more will come (a notice at most)
                    self.finished.set()
        elif name == "CHANNEL_HANGUP":
            self._hung_up(event)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self._hung_up(event)
            self.finished.set()
        elif name == "RECORD_START":
            self.record_started = True
        elif name == "RECORD_STOP":
            self.record_stopped = True

    def notice(self, event: Event) -> None:
        """Take in a disconnect notice: either way the caller's channel is gone."""
        self.hung_up = True
        self.gone.set()
        if self.sync or event.get("Content-Disposition") != "linger":
            self.finished.set()     # sync: the notice follows every held event, and nothing else will come

    def link_closed(self) -> None:
        """The connection ended: wake every waiter."""
        self.gone.set()
        self.finished.set()

    def _hung_up(self, event: Event) -> None:
        self.hangup_cause = event.get("Hangup-Cause") or self.hangup_cause
        self.hung_up = True
        self.gone.set()
