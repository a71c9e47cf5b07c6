"""The outbound event socket: FreeSWITCH's side of ``socket 127.0.0.1:8084 async full``.

FreeSWITCH is the TCP client here; the daemon sends ``connect``, ``myevents``, ``linger``,
``sendmsg`` … and the session answers as the transcripts do.  Two races of the real switch
are reproduced, one of them chosen per call (see :class:`Quirks`):

* the controlled channel's events are queued from the start, including ones fired before
  ``connect`` (CHANNEL_STATE, CHANNEL_EXECUTE of the socket application) and the
  CHANNEL_PARK that follows it, and reach the client only around the first ``sendmsg`` —
  before its ``+OK`` (outbound_01a) or after it (outbound_02, 03, 06), with or without the
  pre-connect backlog (outbound_01b);
* the linger disconnect notice comes right after CHANNEL_HANGUP (outbound_03, 06), after
  the first CHANNEL_STATE (outbound_01b) or after CHANNEL_HANGUP_COMPLETE (outbound_01a);
* when a bridged call ends, the B leg's CHANNEL_HANGUP_COMPLETE (numbered first) reaches
  inbound listeners before the A leg's bridge completion (outbound_04b, 05) or after the A
  leg's CHANNEL_HANGUP_COMPLETE (inbound_04, 05).

Synchronous mode (``socket ADDR full``, ``sync=True``; outbound_07a … 07f2): the session
runs in the call's own greenlet (FreeSWITCH runs the listener in the channel's thread).
A ``sendmsg execute`` runs the application right there, so nothing more is read from the
daemon until it ends; then come its ``+OK``, every event the channel fired meanwhile, in
Event-Sequence order with their original timestamps, and the linger notice if the
channel went down.  No pre-connect backlog, no CHANNEL_PARK, and never CHANNEL_STATE,
CHANNEL_HANGUP_COMPLETE or the socket application's CHANNEL_EXECUTE(_COMPLETE): the
channel's thread is still inside the socket application when those fire.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import gevent
from time import perf_counter
from typing import TYPE_CHECKING

from .encoding import command_reply, linger_notice, outbound_goodbye
from .events import HOLD, Subscription, serialize
from .inbound import handle_common
from .wire import Command, CommandReader, Outbox

if TYPE_CHECKING:  # pragma: no cover
    from .call import CallFlow

log = logging.getLogger(__name__)

PARK_FIRST = "park_first"
REPLY_FIRST = "reply_first"
BACKLOG = "backlog"
FIRST_REPLY_ORDERS = (PARK_FIRST, REPLY_FIRST, BACKLOG)

NOTICE_AFTER_HANGUP = "hangup"
NOTICE_AFTER_STATE = "state"
NOTICE_AFTER_COMPLETE = "complete"
NOTICE_POSITIONS = (NOTICE_AFTER_HANGUP, NOTICE_AFTER_STATE, NOTICE_AFTER_COMPLETE)


@dataclass(frozen=True)
class Quirks:
    """Which of FreeSWITCH's observed orderings one call reproduces.

    FakeSwitch picks them per call from its seed unless it is given fixed ones.
    """

    first_reply: str = REPLY_FIRST         # PARK_FIRST | REPLY_FIRST | BACKLOG
    notice_after: str = NOTICE_AFTER_HANGUP  # where the linger notice goes
    linger_extra: float = 0.7              # linger N closes N + this (0.2..0.9: whole-second timer)
    late_b_hangup_complete: bool = True    # B leg's HANGUP_COMPLETE after the A leg's


#: Events a synchronous socket never carries (the channel's thread is busy in the socket app).
SYNC_NEVER = frozenset({"CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_PARK", "CHANNEL_UNPARK"})


class OutboundSession:
    """One daemon connection controlling one channel."""

    def __init__(self, flow: "CallFlow", sock, quirks: Quirks, sync: bool = False) -> None:
        self.flow = flow
        self.quirks = quirks
        self.sync = sync
        self.outbox = Outbox(sock, f"outbound {flow.uuid}")
        self.reader = CommandReader(sock)
        self.subscription = Subscription()
        if not sync:
            self.subscription.my_events(HOLD, flow.uuid)
        self.format: str | None = None        # set by myevents
        self._held: list = []
        self._holding = not sync
        self.linger: int | None = None        # None: no linger; -1: plain linger; N: seconds
        self.resume = False
        self.backlog: list = []               # pre-connect events, sent only in the BACKLOG order
        self.filter_uuid: str | None = None   # ``filter Unique-ID <uuid>``
        self.events = 0                       # events written (the call's cost for FreeSWITCH)
        self._running_app = False             # sync: an application runs, the socket is silent
        self._app_events: list = []           # sync: what the channel fired meanwhile
        self._notice_due = False              # sync: the linger notice waits for the flush

    # -- events ------------------------------------------------------------------------

    def deliver_event(self, event, fmt: str) -> None:
        if self.sync:
            if event.name in SYNC_NEVER or self._socket_app_event(event):
                return
            if self._running_app:
                self._app_events.append((event, fmt))
                return
            self._send_event(event, fmt)
            return
        if self._holding:
            if self.format is None:
                self._held.append(event)
                return
            self.release()
        self._send_event(event)

    def _socket_app_event(self, event) -> bool:
        return event.name.startswith("CHANNEL_EXECUTE") and any(
            name == "Application" and value == "socket" for name, value in event.tail)

    def _send_event(self, event, fmt: str | None = None) -> None:
        self.events += 1
        fmt = fmt if fmt and fmt != HOLD else (self.format or "plain")
        self.outbox.send(serialize(event, fmt))

    def release(self) -> None:
        """Deliver what was queued for the client before its first sendmsg (once)."""
        if not self._holding:
            return
        if self.format is None:
            # no myevents before the first message: nothing queued reaches this client
            self._holding = False
            self._held.clear()
            self.backlog = []
            self.subscription.clear()
            self.flow.sw.bus.detach(self)
            return
        self._holding = False
        events = (self.backlog if self.quirks.first_reply == BACKLOG else []) + self._held
        self._held = []
        self.backlog = []
        self.subscription.my_events(self.format, self.flow.uuid)
        self.flow.sw.bus.attach(self)
        for event in events:
            self._send_event(event)

    # -- notices -----------------------------------------------------------------------

    def hangup_notice(self, position: str) -> None:
        """Write the linger notice if this is where this call puts it."""
        if self.sync:
            if position == NOTICE_AFTER_HANGUP:
                self._sync_hangup()
            return
        if self.linger is None or position != self.quirks.notice_after or self.outbox.closed:
            return
        self.release()
        self.outbox.send(linger_notice(self.flow.uuid, self.flow.channel_name, self.linger))

    def _sync_hangup(self) -> None:
        """Sync: the channel went down; the notice comes after the running application's flush."""
        if self._running_app:
            self._notice_due = True
        else:
            self._disconnect_notice()

    def _disconnect_notice(self) -> None:
        """Sync: linger notice and the goodbye N s later, or, without linger, goodbye and close."""
        self._notice_due = False
        if self.outbox.closed:
            return
        if self.linger is None:
            self.goodbye()
            return
        self.outbox.send(linger_notice(self.flow.uuid, self.flow.channel_name, self.linger))
        if self.linger > 0:
            gevent.spawn_later(self.flow.clock.real(self.linger + self.quirks.linger_extra), self.goodbye)

    def goodbye(self) -> None:
        """The final notice; FreeSWITCH closes the socket right after it."""
        self.release()
        self.outbox.send(outbound_goodbye(self.flow.uuid))
        self.outbox.close()

    # -- commands ----------------------------------------------------------------------

    def run(self) -> None:
        """Read commands until the daemon closes the connection."""
        self.flow.sw.sessions.add(self)
        try:
            self._serve()
        finally:
            self.flow.sw.sessions.discard(self)
            self.flow.sw.bus.detach(self)
            self.outbox.close()
            self.flow.call.socket_bytes = self.outbox.bytes      # what FreeSWITCH wrote for this call
            self.flow.call.socket_events = self.events
        self.flow.on_socket_closed()

    def _serve(self) -> None:
        while True:
            command = self.reader.read()
            if command is None:
                break
            if self.flow.sw.keep_traffic:
                self.flow.call.sent.extend(command.raw)
                self.flow.call.commands.append(command)
            try:
                if not self._handle(command):
                    break
            except Exception:
                log.exception("call %s: simulator failed on %r", self.flow.uuid, command.line)
                break

    def _handle(self, command: Command) -> bool:
        verb = command.verb
        if verb == "connect":
            self.outbox.send(self.flow.channel_data_reply("static" if self.sync else "async"))
            self.flow.call.connect_replied_at = perf_counter()
        elif verb == "myevents":
            self._my_events(command)
        elif verb == "linger":
            self._linger(command.argument)
        elif verb == "nolinger":
            self.linger = None
            self.outbox.send(command_reply("+OK will not linger"))
        elif verb == "resume":
            self.resume = True
            self.outbox.send(command_reply("+OK"))
        elif verb == "sendmsg":
            self._sendmsg(command)
        elif verb == "exit":
            self.outbox.send(command_reply("+OK bye"))
            self.outbox.send(outbound_goodbye(self.flow.uuid))
            self.outbox.close()
            return False
        elif verb == "event":
            self._global_events(command)
        elif verb == "filter":
            self._filter(command)
        else:
            reply = handle_common(self.flow.sw, self, command)
            self.outbox.send(reply or command_reply("-ERR command not found"))
        return True

    def _my_events(self, command: Command) -> None:
        words = command.argument.split()
        self.format = "json" if words and words[0].lower() == "json" else "plain"
        if self.sync:
            self.subscription.clear()
            self.subscription.my_events(self.format, self.flow.uuid)
            self.flow.sw.bus.attach(self)
        elif not self._holding:
            self.subscription.clear()
            self.subscription.my_events(self.format, self.flow.uuid)
            self.flow.sw.bus.attach(self)
        self.outbox.send(command_reply("+OK Events Enabled"))

    def _global_events(self, command: Command) -> None:
        """``event …`` without ``myevents`` subscribes to every channel's events (narrowed by
        a ``filter Unique-ID``, before or after it)."""
        if self.format is None:
            self.subscription = Subscription()
            self.subscription.add_filter("Unique-ID", self.filter_uuid or "")
            self._holding = False
            self._held.clear()
        reply = handle_common(self.flow.sw, self, command)
        if self.format is None:
            self.format = self.subscription.format
        self.outbox.send(reply)

    def _filter(self, command: Command) -> None:
        header, _, value = command.argument.partition(" ")
        value = value.strip()
        if header.lower() == "unique-id":
            self.filter_uuid = value
        if self.format is not None or self.sync:     # a subscription of the client's own
            self.subscription.add_filter(header, value)
            self.flow.sw.bus.attach(self)
        self.outbox.send(command_reply(f"+OK filter added. [{header}]=[{value}]"))

    def _linger(self, argument: str) -> None:
        if argument.strip().lstrip("-").isdigit() and int(argument) > 0:
            self.linger = int(argument)
            self.outbox.send(command_reply(f"+OK will linger {self.linger} seconds"))
        else:
            self.linger = -1
            self.outbox.send(command_reply("+OK will linger"))

    def _sendmsg(self, command: Command) -> None:
        """Async mode: ``+OK`` at once, for a dead channel too; the message is queued."""
        call = self.flow.call
        if call.first_bridge_at is None and command.header("execute-app-name").lower() == "bridge":
            call.first_bridge_at = self.reader.received_at
        if self.sync:
            self._sendmsg_sync(command)
            return
        if self.quirks.first_reply == PARK_FIRST:
            self.flow.ensure_parked()
        self.outbox.send(command_reply("+OK"))
        self.flow.ensure_parked()
        self.release()
        self.flow.on_sendmsg(command)

    def _sendmsg_sync(self, command: Command) -> None:
        """Sync mode: run the message here and now; reply, then the held events, then the notice."""
        self._running_app = True
        try:
            self.flow.run_message(command)
        finally:
            self._running_app = False
        self.outbox.send(command_reply("+OK"))
        held, self._app_events = self._app_events, []
        held.sort(key=lambda item: item[0].sequence)
        for event, fmt in held:
            self._send_event(event, fmt)
        if self._notice_due:
            self._disconnect_notice()
