"""Socket plumbing shared by the inbound server and the outbound sessions.

:class:`CommandReader` parses what an ESL client sends (a command line, optional header
lines, an empty line, and a body when there is a Content-Length).  :class:`Outbox` writes
to a client from its own greenlet, so a slow or stuck client never blocks the greenlet that
produced an event — FreeSWITCH queues per listener in the same way.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass, field
from time import perf_counter

import gevent
from gevent import socket

log = logging.getLogger(__name__)


@dataclass
class Command:
    """One client command: ``sendmsg`` plus its headers, ``api status``, …"""

    line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    raw: bytes = b""

    @property
    def verb(self) -> str:
        return self.line.split(" ", 1)[0].lower() if self.line else ""

    @property
    def argument(self) -> str:
        parts = self.line.split(" ", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    def header(self, name: str, default: str = "") -> str:
        """Header lookup ignoring case (clients write ``Call-Command`` or ``call-command``)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default


class CommandReader:
    """Reads :class:`Command` objects from a gevent socket."""

    def __init__(self, sock: socket.socket, chunk: int = 65536) -> None:
        self._sock = sock
        self._buf = b""
        self._chunk = chunk
        self.received_at = 0.0          # perf_counter() of the last segment read (the bench's marks)

    def _fill(self) -> bool:
        try:
            data = self._sock.recv(self._chunk)
        except OSError:
            return False
        if not data:
            return False
        self.received_at = perf_counter()
        self._buf += data
        return True

    def read(self) -> Command | None:
        """The next command, or None once the peer closed the connection."""
        while True:
            end = self._buf.find(b"\n\n")
            if end >= 0:
                break
            if not self._fill():
                return None
        block, self._buf = self._buf[:end], self._buf[end + 2:]
        lines = block.decode("utf-8", "replace").replace("\r", "").split("\n")
        command = Command(line=lines[0].strip(), raw=block + b"\n\n")
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                command.headers[name.strip()] = value.strip()
        length = command.header("content-length")
        if length.isdigit() and int(length) > 0:
            need = int(length)
            while len(self._buf) < need:
                if not self._fill():
                    return None
            body, self._buf = self._buf[:need], self._buf[need:]
            command.body = body.decode("utf-8", "replace")
            command.raw += body
        return command


class Outbox:
    """Per-connection writes that never block the greenlet producing them.

    A write goes straight to the (non-blocking) socket; only what the kernel does not take
    at once is queued and flushed by a writer greenlet that exists while there is a backlog
    — FreeSWITCH queues per listener in the same way.  ``limit`` bounds the backlog: a
    client that stops reading for that many messages is disconnected instead of growing the
    simulator's memory without end.  Holding no greenlet per idle connection keeps 2,000
    held calls cheap.
    """

    def __init__(self, sock: socket.socket, label: str, limit: int = 200_000) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._label = label
        self._limit = limit
        self._queue: deque[bytes] = deque()
        self._flush_scheduled = False
        self._writer: gevent.Greenlet | None = None
        self._closing = False
        self.closed = False
        self.bytes = 0          # everything this connection was given to write
        self.messages = 0

    def send(self, data: bytes) -> None:
        """Queue ``data``; what one greenlet sends in a row goes out in one write."""
        if self.closed or self._closing:
            return
        self.bytes += len(data)
        self.messages += 1
        self._queue.append(data)
        if len(self._queue) > self._limit:
            log.warning("%s: client is not reading (%d messages queued); disconnecting",
                        self._label, len(self._queue))
            self.abort()
        elif not self._flush_scheduled and self._writer is None:
            self._flush_scheduled = True
            gevent.get_hub().loop.run_callback(self._flush)

    def _flush(self) -> None:
        """Runs in the hub: write what the kernel takes now, leave the rest to a writer."""
        self._flush_scheduled = False
        if self.closed or self._writer is not None or not self._queue:
            return
        data = b"".join(self._queue)
        self._queue.clear()
        try:
            written = os.write(self._fd, data)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            log.debug("%s: write failed: %s", self._label, exc)
            self._finish()
            return
        if written < len(data):
            self._queue.appendleft(data[written:])
            self._writer = gevent.spawn(self._drain)
        elif self._closing:
            self._finish()

    def close(self) -> None:
        """Close the socket once everything queued so far has been written."""
        if self._closing or self.closed:
            return
        self._closing = True
        if self._writer is None:
            if self._queue:
                self._flush()
            else:
                self._finish()

    def abort(self) -> None:
        """Close at once, dropping what is queued (like a process restart)."""
        self._queue.clear()
        writer, self._writer = self._writer, None
        self._finish()
        if writer is not None and writer is not gevent.getcurrent():
            writer.kill(block=False)

    def join(self, timeout: float | None = None) -> None:
        if self._writer is not None:
            self._writer.join(timeout)

    def _drain(self) -> None:
        try:
            while self._queue:
                data = b"".join(self._queue)
                self._queue.clear()
                self._sock.sendall(data)
        except OSError as exc:
            log.debug("%s: write failed: %s", self._label, exc)
            self._queue.clear()
            self._closing = True
        finally:
            self._writer = None
        if self._closing:
            self._finish()

    def _finish(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
