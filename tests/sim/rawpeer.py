"""A tiny raw-socket ESL peer for the simulator's own tests (not the daemon).

It writes exactly the bytes a test gives and splits what comes back into messages the way
the README describes the framing: a header block ending in an empty line, then exactly
Content-Length bytes of body when there is one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

import gevent
import gevent.event
import gevent.queue
from gevent import socket
from gevent.server import StreamServer


@dataclass
class Message:
    headers: list[tuple[str, str]]
    body: bytes = b""
    raw: bytes = b""

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def content_type(self) -> str:
        return self.get("Content-Type", "") or ""

    @property
    def event(self) -> list[tuple[str, str]]:
        """The event's own headers (URL-decoded for plain, as-is for JSON); [] if not an event."""
        if self.content_type == "text/event-plain":
            block = self.body.decode().split("\n\n", 1)[0]
            return [(k, unquote(v)) for k, _, v in (line.partition(": ") for line in block.split("\n"))]
        if self.content_type == "text/event-json":
            return json.loads(self.body, object_pairs_hook=lambda pairs: pairs)
        if self.get("Event-Name"):
            return [(k, unquote(v)) for k, v in self.headers]
        return []

    def event_value(self, name: str) -> str | None:
        for key, value in self.event:
            if key == name:
                return value
        return None

    @property
    def event_name(self) -> str | None:
        return self.event_value("Event-Name")


@dataclass
class RawPeer:
    sock: socket.socket
    _buf: bytes = b""
    received: bytearray = field(default_factory=bytearray)
    closed: bool = False
    released: gevent.event.Event = field(default_factory=gevent.event.Event)

    @classmethod
    def connect(cls, address: tuple[str, int]) -> "RawPeer":
        return cls(socket.create_connection(address, timeout=5))

    def send(self, data: str | bytes) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def command(self, text: str) -> None:
        """Send a command with its terminating empty line."""
        self.send(text + "\n\n")

    def _fill(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        self._buf += data
        self.received.extend(data)
        return True

    def read(self, timeout: float = 2.0) -> Message | None:
        """The next complete message, or None on timeout/close."""
        while True:
            end = self._buf.find(b"\n\n")
            if end >= 0:
                block = self._buf[:end].decode()
                headers = [tuple(line.split(": ", 1)) if ": " in line else (line, "") for line in block.split("\n")]
                length = dict(headers).get("Content-Length")
                need = end + 2 + (int(length) if length else 0)
                if len(self._buf) >= need:
                    raw, self._buf = self._buf[:need], self._buf[need:]
                    return Message(headers, raw[end + 2:], raw)
            if not self._fill(timeout):
                return None

    def read_until(self, predicate, timeout: float = 2.0) -> list[Message]:
        """Messages up to and including the first that matches ``predicate``."""
        out = []
        with gevent.Timeout(timeout, AssertionError(f"no matching message in {timeout}s; got {out!r}")):
            while True:
                message = self.read(timeout)
                if message is None:
                    raise AssertionError(f"connection ended before a matching message; got {out!r}")
                out.append(message)
                if predicate(message):
                    return out

    def drain(self, quiet: float = 0.3) -> list[Message]:
        """Everything that arrives until ``quiet`` seconds pass without data (or close)."""
        out = []
        while True:
            message = self.read(quiet)
            if message is None:
                return out
            out.append(message)

    def close(self) -> None:
        self.sock.close()
        self.released.set()


class DaemonStub:
    """Listens like the daemon's outbound port; accepted connections become RawPeers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._accepted: gevent.queue.Queue = gevent.queue.Queue()
        self._server = StreamServer((host, 0), self._handle)
        self._server.start()

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_host, self._server.server_port

    def _handle(self, sock, address) -> None:
        peer = RawPeer(sock)
        self._accepted.put(peer)
        peer.released.wait()  # the server closes the socket when this returns

    def accept(self, timeout: float = 2.0) -> RawPeer:
        return self._accepted.get(timeout=timeout)

    def stop(self) -> None:
        self._server.stop(timeout=0)
