"""A tiny inbound event socket on loopback that answers like FreeSWITCH 1.11 does.

It speaks the bytes of ../shared/esl-transcripts (inbound_01, _02, _04, _05, _06):
the auth/request greeting, `-ERR invalid` then a disconnect notice and a close for
a wrong password, command replies, api responses without trailing newlines, events
plain or JSON as the client subscribed.  Tests push events and drop the link at will, and read `commands` to see
what the client sent.
"""
from __future__ import annotations

from typing import Optional
from xml.sax.saxutils import escape

from gevent.event import Event
from gevent.server import StreamServer

from tests.esl.peer import SwitchEnd, api_response, disconnect_notice, event_frame, reply

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
    """FreeSWITCH's event socket listener; `greeting` replaced, it plays something else
    (an HTTP server, a port that accepts and says nothing)."""

    def __init__(self, password: str = "ClueCon", registrations: Optional[list[tuple[str, str, str]]] = None,
                 greeting: bytes = b"Content-Type: auth/request\n\n"):
        self.password = password
        self.greeting = greeting
        self.registrations = list(registrations or [])
        self.events_before_listing: list[dict] = []      # sent between `api ...reg` and its reply
        self.commands: list[str] = []
        self.connections = 0
        self.subscribed = Event()                        # a client sent its `event plain|json` line
        self.event_format = "plain"
        self._current: Optional[SwitchEnd] = None
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
        self._current.send(event_frame(headers, self.event_format))

    def drop(self) -> None:
        """Close the client's connection as a FreeSWITCH restart would."""
        end, self._current = self._current, None
        if end is not None:
            end.close()

    # ------------------------------------------------------------------ the peer

    def _serve(self, sock, address) -> None:
        self.connections += 1
        end = self._current = SwitchEnd(sock)
        try:
            end.send(self.greeting)
            while self._answer(end, end.command(timeout=None)):
                pass
        except (EOFError, OSError):
            return
        finally:
            if self._current is end:
                self._current = None
            end.close()

    def _answer(self, end: SwitchEnd, command: str) -> bool:
        self.commands.append(command)
        if command.startswith("auth "):
            if command[5:] != self.password:
                end.send(reply("-ERR invalid") + disconnect_notice())
                return False
            end.send(reply("+OK accepted"))
        elif command.startswith(("event plain ", "event json ")):
            self.event_format = command.split()[1]
            end.send(reply(f"+OK event listener enabled {self.event_format}"))
            self.subscribed.set()
        elif command == "api sofia status":
            end.send(api_response(SOFIA_STATUS))
        elif command == "api sofia xmlstatus profile internal reg":
            for headers in self.events_before_listing:
                end.send(event_frame(headers, self.event_format))
            end.send(api_response(registration_listing(self.registrations)))
        else:
            end.send(reply("-ERR command not found"))
        return True
