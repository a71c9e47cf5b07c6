"""A tiny inbound event socket on loopback that answers like FreeSWITCH 1.11 does.

It speaks the bytes of ../shared/esl-transcripts (inbound_01, _02, _04, _05, _06):
the auth/request greeting, `-ERR invalid` then a disconnect notice and a close for
a wrong password, command replies, api responses without trailing newlines, events
plain or JSON as the client subscribed.  Tests push events and drop the link at will, and read `commands` to see
what the client sent.
"""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote
from xml.sax.saxutils import escape

from gevent.event import Event
from gevent.server import StreamServer

GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
SOFIA_STATUS = (
    b"                     Name\t   Type\t                                      Data\tState\n"
    b"=================================================================================================\n"
    b"                127.0.0.1\t  alias\t                                  internal\tALIASED\n"
    b"                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)\n"
    b"=================================================================================================\n"
    b"1 profile 1 alias\n")


def registration_listing(registrations: list[tuple[str, str, str]]) -> bytes:
    """`sofia xmlstatus profile internal reg` for (user@host, contact, call-id) rows."""
    rows = "".join(
        "    <registration>\n"
        f"        <call-id>{escape(call_id)}</call-id>\n"
        f"        <user>{escape(user)}</user>\n"
        f"        <contact>{escape(contact, {chr(34): '&quot;'})}</contact>\n"
        "        <agent>sipp-reg</agent>\n"
        "        <status>Registered(UDP)(unknown) exp(2026-11-26 22:45:15) expsecs(3660)</status>\n"
        "    </registration>\n"
        for user, contact, call_id in registrations)
    return (f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n{rows}'
            "  </registrations>\n</profile>\n").encode("latin-1")


class ScriptedSwitch:
    def __init__(self, password: str = "ClueCon", registrations: Optional[list[tuple[str, str, str]]] = None):
        self.password = password
        self.registrations = list(registrations or [])
        self.events_before_listing: list[dict] = []      # sent between `api ...reg` and its reply
        self.commands: list[str] = []
        self.connections = 0
        self.subscribed = Event()                        # a client sent its `event plain|json` line
        self.event_format = "plain"
        self._current: Optional[object] = None
        self._server = StreamServer(("127.0.0.1", 0), self._serve)

    def __enter__(self) -> "ScriptedSwitch":
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.drop()
        self._server.stop(timeout=0.5)

    @property
    def port(self) -> int:
        return self._server.server_port

    # ------------------------------------------------------------------ test controls

    def send_event(self, **headers: str) -> None:
        """One event to the connected client (keys as FreeSWITCH spells them)."""
        assert self._current is not None, "no client connected"
        self._current.sendall(_event_frame(headers, self.event_format))

    def drop(self) -> None:
        """Close the client's connection as a FreeSWITCH restart would."""
        sock, self._current = self._current, None
        if sock is not None:
            sock.close()

    # ------------------------------------------------------------------ the peer

    def _serve(self, sock, address) -> None:
        self.connections += 1
        self._current = sock
        sock.sendall(b"Content-Type: auth/request\n\n")
        buffer = b""
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\n\n" in buffer:
                    command, buffer = buffer.split(b"\n\n", 1)
                    if not self._answer(sock, command.decode()):
                        return
        except OSError:
            return
        finally:
            if self._current is sock:
                self._current = None
            sock.close()

    def _answer(self, sock, command: str) -> bool:
        self.commands.append(command)
        if command.startswith("auth "):
            if command[5:] != self.password:
                sock.sendall(_reply("-ERR invalid") + b"Content-Type: text/disconnect-notice\n"
                             + f"Content-Length: {len(GOODBYE)}\n\n".encode() + GOODBYE)
                return False
            sock.sendall(_reply("+OK accepted"))
        elif command.startswith(("event plain ", "event json ")):
            self.event_format = command.split()[1]
            sock.sendall(_reply(f"+OK event listener enabled {self.event_format}"))
            self.subscribed.set()
        elif command == "api sofia status":
            sock.sendall(_api(SOFIA_STATUS))
        elif command == "api sofia xmlstatus profile internal reg":
            for headers in self.events_before_listing:
                sock.sendall(_event_frame(headers, self.event_format))
            sock.sendall(_api(registration_listing(self.registrations)))
        else:
            sock.sendall(_reply("-ERR command not found"))
        return True


def _reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def _api(body: bytes) -> bytes:
    return f"Content-Type: api/response\nContent-Length: {len(body)}\n\n".encode() + body


def _event_frame(headers: dict, event_format: str) -> bytes:
    """An event as FreeSWITCH frames it: JSON, or plain with URL-encoded values."""
    if event_format == "json":
        body = json.dumps(headers).encode()
    else:
        body = "".join(f"{key}: {quote(value, safe='')}\n" for key, value in headers.items()).encode() + b"\n"
    return f"Content-Length: {len(body)}\nContent-Type: text/event-{event_format}\n\n".encode() + body

