"""The FreeSWITCH end of an ESL connection, scripted by a test, over real TCP.

`SwitchEnd` reads the commands the daemon sends and writes the bytes a test gives;
the functions below frame those bytes as FreeSWITCH 1.11 does (see
../shared/esl-transcripts). The outbound tests dial the daemon with it
(tests/daemon_outbound/switch.py), the inbound tests answer the daemon's link with it
(tests/daemon_runtime/scripted_esl.py), the session tests pair it with a socket.
"""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote

import gevent
from gevent import socket

GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def reply(text: str = "+OK") -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def api_response(body: bytes) -> bytes:
    """An api/response: FreeSWITCH sends the body as is, often without a trailing newline."""
    return f"Content-Type: api/response\nContent-Length: {len(body)}\n\n".encode() + body


def disconnect_notice(body: bytes = GOODBYE) -> bytes:
    return f"Content-Type: text/disconnect-notice\nContent-Length: {len(body)}\n\n".encode() + body


def event_frame(headers: dict[str, str], event_format: str = "plain") -> bytes:
    """An event as FreeSWITCH frames it: JSON, or plain with URL-encoded values."""
    if event_format == "json":
        body = json.dumps(headers).encode()
    else:
        body = "".join(f"{key}: {quote(value, safe='')}\n" for key, value in headers.items()).encode() + b"\n"
    return f"Content-Length: {len(body)}\nContent-Type: text/event-{event_format}\n\n".encode() + body


def parse_command(text: str) -> tuple[str, dict[str, str]]:
    """`sendmsg\\nexecute-app-name: bridge ...` -> ("sendmsg", {"execute-app-name": "bridge", ...})."""
    first, *lines = text.split("\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(": ")
        headers[name] = value
    return first, headers


class SwitchEnd:
    """Reads the commands the daemon sends and writes what FreeSWITCH would."""

    def __init__(self, sock: socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # no Nagle stalls between small writes
        self.sock = sock
        self._buf = b""
        self.received: list[str] = []

    @classmethod
    def dial(cls, address: tuple[str, int]) -> "SwitchEnd":
        """Connect to a listener the way FreeSWITCH's socket application does."""
        return cls(socket.create_connection(address))

    def command(self, timeout: Optional[float] = 5.0) -> str:
        """The next command (without its terminating empty line); EOFError when the daemon closed."""
        with gevent.Timeout(timeout, AssertionError(f"no command within {timeout} s; got {self.received}")):
            while b"\n\n" not in self._buf:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError(f"the daemon closed the connection; it had sent {self.received}")
                self._buf += data
        text, self._buf = self._buf.split(b"\n\n", 1)
        self.received.append(text.decode())
        return self.received[-1]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def closed_by_daemon(self, timeout: float = 5.0) -> bool:
        """Read until EOF; True when the daemon closed within `timeout` (commands read on the way are kept)."""
        try:
            with gevent.Timeout(timeout):
                while True:
                    data = self.sock.recv(65536)
                    if not data:
                        return True
                    self._buf += data
        except gevent.Timeout:
            return False
        except ConnectionResetError:
            return True

    def unread(self) -> list[str]:
        """Commands received but not yet read by the test (after `closed_by_daemon`)."""
        return [c.decode() for c in self._buf.split(b"\n\n") if c]

    def close(self) -> None:
        self.sock.close()


def pair(listener: Optional[socket.socket] = None) -> tuple[socket.socket, SwitchEnd]:
    """A connected (daemon side, FreeSWITCH side) pair over loopback TCP."""
    server = listener or socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    fs = SwitchEnd.dial(server.getsockname())
    ours, _ = server.accept()
    server.close()
    return ours, fs
