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
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
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


class OutboundSession:
    """One daemon connection controlling one channel."""

    def __init__(self, flow: "CallFlow", sock, quirks: Quirks) -> None:
        self.flow = flow
        self.quirks = quirks
        self.outbox = Outbox(sock, f"outbound {flow.uuid}")
        self.reader = CommandReader(sock)
        self.subscription = Subscription()
        self.subscription.my_events(HOLD, flow.uuid)
        self.format: str | None = None        # set by myevents
        self._held: list = []
        self._holding = True
        self.linger: int | None = None        # None: no linger; -1: plain linger; N: seconds
        self.resume = False
        self.backlog: list = []               # pre-connect events, sent only in the BACKLOG order

    # -- events ------------------------------------------------------------------------

    def deliver_event(self, event, fmt: str) -> None:
        if self._holding:
            if self.format is None:
                self._held.append(event)
                return
            self.release()
        self._send_event(event)

    def _send_event(self, event) -> None:
        self.outbox.send(serialize(event, self.format or "plain"))

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
        if self.linger is None or position != self.quirks.notice_after or self.outbox.closed:
            return
        self.release()
        self.outbox.send(linger_notice(self.flow.uuid, self.flow.channel_name, self.linger))

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
            self.outbox.send(self.flow.channel_data_reply())
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
        else:
            reply = handle_common(self.flow.sw, self, command)
            self.outbox.send(reply or command_reply("-ERR command not found"))
        return True

    def _my_events(self, command: Command) -> None:
        words = command.argument.split()
        self.format = "json" if words and words[0].lower() == "json" else "plain"
        if not self._holding:
            self.subscription.clear()
            self.subscription.my_events(self.format, self.flow.uuid)
            self.flow.sw.bus.attach(self)
        self.outbox.send(command_reply("+OK Events Enabled"))

    def _global_events(self, command: Command) -> None:
        """``event …`` without ``myevents`` subscribes to every channel's events."""
        if self.format is None:
            self.subscription = Subscription()
            self._holding = False
            self._held.clear()
        reply = handle_common(self.flow.sw, self, command)
        if self.format is None:
            self.format = self.subscription.format
        self.outbox.send(reply)

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
        if self.quirks.first_reply == PARK_FIRST:
            self.flow.ensure_parked()
        self.outbox.send(command_reply("+OK"))
        self.flow.ensure_parked()
        self.release()
        self.flow.on_sendmsg(command)
