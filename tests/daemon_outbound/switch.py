"""A minimal FreeSWITCH for one outbound call: bytes from the real transcripts, scripted by a test.

The full simulator lives in tests/fakeswitch; this one only plays the messages a
test names, so each test reads as the conversation it checks.
"""
from __future__ import annotations

import re

from tests.esl import transcripts
from tests.esl.peer import SwitchEnd, parse_command, reply

OUT_01B = "outbound_01b_bridge_failover_continue_on_fail"
OUT_06 = "outbound_06_busy_then_caller_cancels_during_ringing"

CONNECT = transcripts.message(OUT_01B, b"CHANNEL_DATA")
UUID = "d30d7c2d-ef58-4a98-94ac-da41e4ff6b22"


def _event(name: str, *needles: bytes, source: str = OUT_01B) -> bytes:
    return transcripts.event_body(transcripts.message(source, f"Event-Name: {name}\n".encode(), *needles))


COMPLETE = _event("CHANNEL_EXECUTE_COMPLETE", b"Application: bridge", source=OUT_06)
BRIDGE = _event("CHANNEL_BRIDGE")
HANGUP = _event("CHANNEL_HANGUP")
HANGUP_COMPLETE = _event("CHANNEL_HANGUP_COMPLETE")
PARK = _event("CHANNEL_PARK", source=OUT_06)
LINGER_NOTICE = transcripts.message(OUT_06, b"Content-Disposition: linger")


def connect_with(**headers: str) -> bytes:
    """The real connect reply with some channel headers replaced (values already URL-encoded)."""
    data = CONNECT
    for name, value in headers.items():
        data = transcripts.with_header(data, name.replace("_", "-"), value)
    return data


class Call(SwitchEnd):
    """FreeSWITCH's side of one call connected to the daemon's outbound port."""

    @classmethod
    def place(cls, address, connect: bytes = CONNECT) -> "Call":
        """Connect like the socket app, answer `connect` and the setup commands."""
        call = cls.dial(address)
        assert call.command() == "connect"
        call.send(connect)
        assert call.command().startswith("filter Unique-ID ")
        sync = b"Socket-Mode: static" in connect
        assert call.command() == ("event plain CHANNEL_EXECUTE_COMPLETE" if sync else
                                  "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE")
        assert call.command().startswith("linger ")
        call.send(reply("+OK filter added.") + reply("+OK event listener enabled plain")
                  + reply("+OK will linger"))
        return call

    def app(self, name: str) -> dict[str, str]:
        """Expect a `sendmsg` executing `name`, reply +OK; its headers."""
        verb, headers = parse_command(self.command())
        assert (verb, headers.get("execute-app-name")) == ("sendmsg", name), self.received[-1]
        self.send(reply())
        return headers

    def app_unanswered(self, name: str) -> dict[str, str]:
        """Expect a `sendmsg` executing `name` and leave it running (a sync socket replies
        when the application is over); its headers."""
        verb, headers = parse_command(self.command())
        assert (verb, headers.get("execute-app-name")) == ("sendmsg", name), self.received[-1]
        return headers

    def complete(self, app: dict[str, str], disposition: str = "", dialstatus: str = "") -> None:
        """CHANNEL_EXECUTE_COMPLETE of that very application (matched by its Event-UUID)."""
        body = transcripts.with_header(COMPLETE, "Application-UUID", app["Event-UUID"])
        body = transcripts.with_header(body, "Application", app["execute-app-name"])
        body = transcripts.with_header(body, "variable_originate_disposition", disposition or "_undef_")
        body = transcripts.with_header(body, "variable_DIALSTATUS", dialstatus or "_undef_")
        self.send(transcripts.plain_event(body))

    def bridged(self, destination: str, channel_name: str = "") -> None:
        body = transcripts.with_header(BRIDGE, "Other-Leg-Destination-Number", destination)
        if channel_name:
            body = transcripts.with_header(body, "Other-Leg-Channel-Name", channel_name)
        self.send(transcripts.plain_event(body))

    def hang_up(self, cause: str = "NORMAL_CLEARING", bridge: dict[str, str] | None = None,
                disposition: str = "") -> None:
        """What FreeSWITCH sends when the caller's channel goes down (with linger)."""
        self.send(transcripts.plain_event(transcripts.with_header(HANGUP, "Hangup-Cause", cause)))
        self.send(LINGER_NOTICE)
        if bridge is not None:
            self.complete(bridge, disposition or cause)
        complete = HANGUP_COMPLETE.replace(b"Hangup-Cause: NORMAL_CLEARING", f"Hangup-Cause: {cause}".encode())
        self.send(transcripts.plain_event(complete))


_LEG_NAME = re.compile(r"origination_uuid=[0-9a-f-]{36},?")


def unnamed(dial: str) -> str:
    """A bridge's argument without the leg names the daemon adds (daemon.bridge_legs)."""
    return _LEG_NAME.sub("", dial).replace("[]", "")


def leg_names(dial: str) -> list[str]:
    return re.findall(r"origination_uuid=([0-9a-f-]{36})", dial)
