"""The inbound event socket (FreeSWITCH's mod_event_socket on 8021).

Replies follow the transcripts: ``auth/request`` on connect; before a successful ``auth``
every command gets ``-ERR command not found``; a wrong password gets ``-ERR invalid``, the
goodbye notice and a closed socket; ``exit`` gets ``+OK bye`` and the same.
"""
from __future__ import annotations

import itertools
import logging
import uuid as uuidlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gevent.server import StreamServer

from . import api
from .encoding import api_response, command_reply, inbound_goodbye
from .events import Subscription, serialize
from .wire import Command, CommandReader, Outbox

if TYPE_CHECKING:  # pragma: no cover
    from .switch import FakeSwitch

log = logging.getLogger(__name__)

_connection_ids = itertools.count(1)


@dataclass(frozen=True)
class InboundRequest:
    """One command an inbound client sent (``sim.log``)."""

    connection: int
    line: str
    headers: dict
    at: float


def handle_event_command(subscription: Subscription, command: Command) -> bytes:
    """``event plain|json <names>`` → the reply; unsupported formats are refused."""
    words = command.argument.split()
    if not words or words[0].lower() not in ("plain", "json"):
        return command_reply("-ERR invalid event format (plain or json only in the simulator)")
    subscription.add(words[0].lower(), words[1:])
    return command_reply(f"+OK event listener enabled {words[0].lower()}")


def handle_common(sw: "FakeSwitch", listener, command: Command) -> bytes | None:
    """Commands both socket modes share; None when ``command`` is not one of them."""
    verb = command.verb
    if verb == "api":
        if not command.argument:
            return command_reply("-ERR command not found")
        return api_response(api.execute(sw, command.argument))
    if verb == "bgapi":
        if not command.argument:
            return command_reply("-ERR command not found")
        job = command.header("Job-UUID") or str(uuidlib.uuid4())
        api.background_job(sw, command.argument, job)
        return command_reply(f"+OK Job-UUID: {job}", ("Job-UUID", job))
    if verb == "event":
        reply = handle_event_command(listener.subscription, command)
        sw.bus.attach(listener)
        return reply
    if verb == "noevents":
        listener.subscription.clear()
        sw.bus.detach(listener)
        return command_reply("+OK no longer listening for events")
    if verb == "nixevent":
        listener.subscription.nix(command.argument.split())
        sw.bus.attach(listener)
        return command_reply("+OK events nixed")
    if verb == "filter":
        header, _, value = command.argument.partition(" ")
        listener.subscription.add_filter(header, value.strip())
        sw.bus.attach(listener)
        return command_reply(f"+OK filter added. [{header}]=[{value.strip()}]")
    if verb == "log":
        return command_reply(f"+OK log level {command.argument or 'debug'} [7]")
    if verb == "nolog":
        return command_reply("+OK no longer logging")
    return None


class InboundConnection:
    def __init__(self, sw: "FakeSwitch", sock, address) -> None:
        self.sw = sw
        self.id = next(_connection_ids)
        self.address = address
        self.subscription = Subscription()
        self.filters: list[tuple[str, str]] = []        # inbound `filter HEADER VALUE` (OR-ed)
        self.outbox = Outbox(sock, f"inbound#{self.id}")
        self.reader = CommandReader(sock)

    def deliver_event(self, event, fmt: str) -> None:
        if self.filters and not self._passes(event):
            return
        self.outbox.send(serialize(event, fmt))

    def _passes(self, event) -> bool:
        """mod_event_socket's filters: with any set, an event goes out when one of them matches."""
        for header, value in self.filters:
            if header.lower() == "unique-id" and event.uuid == value:
                return True
            if any(name == header and str(got) == value for name, got in (*event.first, *event.tail)):
                return True
        return False

    def _filter(self, command: Command) -> bytes:
        header, _, value = command.argument.partition(" ")
        value = value.strip()
        if not header or not value:
            return command_reply("-ERR invalid syntax")
        self.filters.append((header, value))
        return command_reply(f"+OK filter added. [{header}]=[{value}]")

    def run(self) -> None:
        try:
            self.outbox.send(b"Content-Type: auth/request\n\n")
            if self._authenticate():
                self._serve()
        finally:
            self.sw.bus.detach(self)
            self.outbox.close()

    def _authenticate(self) -> bool:
        while True:
            command = self._next()
            if command is None:
                return False
            if command.verb != "auth":
                self.outbox.send(command_reply("-ERR command not found"))
                continue
            if command.argument == self.sw.password:
                self.outbox.send(command_reply("+OK accepted"))
                return True
            log.info("inbound#%d: wrong ESL password", self.id)
            self.outbox.send(command_reply("-ERR invalid"))
            self.outbox.send(inbound_goodbye())
            return False

    def _serve(self) -> None:
        while True:
            command = self._next()
            if command is None:
                return
            if command.verb == "exit":
                self.outbox.send(command_reply("+OK bye"))
                self.outbox.send(inbound_goodbye())
                return
            reply = self._filter(command) if command.verb == "filter" else handle_common(self.sw, self, command)
            if reply is None and command.verb == "sendmsg":
                uuid = command.argument
                ok = bool(uuid) and self.sw.send_message(uuid, command)
                reply = command_reply("+OK" if ok else f"-ERR invalid session id [{uuid}]")
            if reply is None and command.verb == "myevents" and command.argument:
                words = command.argument.split()
                fmt = words[0].lower() if words[0].lower() in ("plain", "json") else "plain"
                self.subscription.my_events(fmt, words[-1])
                self.sw.bus.attach(self)
                reply = command_reply("+OK Events Enabled")
            self.outbox.send(reply or command_reply("-ERR command not found"))

    def _next(self) -> Command | None:
        command = self.reader.read()
        if command is not None:
            self.sw.log.append(InboundRequest(self.id, command.line, dict(command.headers), self.sw.clock.now()))
        return command

    def drop(self) -> None:
        """Close without a goodbye, as a FreeSWITCH restart does."""
        self.outbox.abort()


class InboundServer:
    """Listens like mod_event_socket; can refuse connections and drop them for tests."""

    def __init__(self, sw: "FakeSwitch", host: str, port: int) -> None:
        self.sw = sw
        self._host = host
        self._port = port
        self._server: StreamServer | None = None
        self.connections: set[InboundConnection] = set()

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = StreamServer((self._host, self._port), self._handle)
        self._server.start()
        self._port = self._server.server_port

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=0)
            self._server = None

    def drop_all(self) -> None:
        for connection in list(self.connections):
            connection.drop()

    def _handle(self, sock, address) -> None:
        connection = InboundConnection(self.sw, sock, address)
        self.connections.add(connection)
        try:
            connection.run()
        except Exception:  # a bug in the simulator must not kill the server greenlet silently
            log.exception("inbound#%d crashed", connection.id)
            connection.drop()
        finally:
            self.connections.discard(connection)
            connection.outbox.join(timeout=1)
