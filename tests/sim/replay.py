"""Drive the simulator with a transcript's client bytes, in the transcript's order.

Each connection of a transcript is replayed on its own socket.  Before sending what the
client sent, the driver reads from the simulator as many messages as FreeSWITCH had sent on
that connection by then — the client in the capture also waited for them.  Notes (what
sipp did outside the socket) and received messages can trigger actions: place the call,
let the caller hang up, wait some sim seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from gevent import socket

from .rawpeer import Message, RawPeer
from .transcripts import connection, load, received

READ_TIMEOUT = 2.0
QUIET = 0.25


@dataclass
class Replay:
    """One connection: what the simulator sent (``got``) and what FreeSWITCH sent (``want``)."""

    got: list[Message] = field(default_factory=list)
    want: list[Message] = field(default_factory=list)
    peer: RawPeer | None = None
    expected: int = 0


def closed_address() -> tuple[str, int]:
    """An address where nothing listens (the socket application then falls back at once)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    address = sock.getsockname()
    sock.close()
    return address


def replay(name: str, peers: dict[str, Callable[[], RawPeer]], *,
           on_note: Callable[[str, str], None] = lambda conn, text: None,
           on_message: Callable[[str, Message], None] = lambda conn, message: None,
           rewrite: Callable[[bytes], bytes] = lambda data: data) -> dict[str, Replay]:
    """Replay transcript ``name``; ``peers[conn]()`` opens a connection when first needed."""
    steps = load(name)
    results = {conn: Replay(want=received(connection(steps, conn))) for conn in peers}
    for step in steps:
        result = results.get(step.conn)
        if result is None:
            if step.kind == "note":
                on_note(step.conn, step.text)
            continue
        if step.kind == "recv":
            result.expected += 1
            continue
        if step.kind == "send" and result.peer is None:
            result.peer = peers[step.conn]()
        for conn, other in results.items():
            _catch_up(conn, other, on_message)
        if step.kind == "note":
            on_note(step.conn, step.text)
        else:
            result.peer.send(rewrite(step.data))
    for conn, result in results.items():
        if result.peer is None:
            result.peer = peers[conn]()
        _catch_up(conn, result, on_message)
        for message in result.peer.drain(QUIET):
            result.got.append(message)
            on_message(conn, message)
    return results


def _catch_up(conn: str, result: Replay, on_message) -> None:
    """Read until this connection got as many messages as FreeSWITCH had sent by now."""
    if result.peer is None:
        return
    while len(result.got) < result.expected:
        message = result.peer.read(READ_TIMEOUT)
        if message is None:
            return
        result.got.append(message)
        on_message(conn, message)
