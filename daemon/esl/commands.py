"""The few commands an outbound call sends, as the exact text FreeSWITCH reads.

A command is header lines ended by an empty line, so a value holding a line
break would end our header early and let the rest be read as further headers or
even a new command.  Values can carry caller-controlled text (a display name
copied into a dial string), so line breaks are replaced before anything is sent.
"""
from __future__ import annotations

import uuid as uuidlib

CONNECT = "connect"
RESUME = "resume"


# What each socket mode needs to read (daemon.esl.channel), for this call only.  FreeSWITCH
# pays for every event it writes (~8 KB each): `myevents` sends ~15 per call in async mode
# (123 KB, outbound_07h), these 2 to 4 (23 KB in sync, outbound_07f1).
SYNC_EVENTS = ("CHANNEL_EXECUTE_COMPLETE",)
ASYNC_EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_BRIDGE", "CHANNEL_HANGUP_COMPLETE")


def subscribe(uuid: str, sync: bool) -> tuple[str, str]:
    """`filter Unique-ID <uuid>` then `event plain <names>` (outbound_07f1, 07g).

    The filter goes first: `event` alone on an outbound socket listens to every
    channel of the switch, and the filter narrows it to the call's own channel.
    """
    names = SYNC_EVENTS if sync else ASYNC_EVENTS
    return f"filter Unique-ID {one_line(uuid)}", "event plain " + " ".join(names)


def subscribe_more(names) -> str:
    """`event plain <names>`: more event types for the call (the filter still narrows them)."""
    return "event plain " + " ".join(names)


def linger(seconds: int) -> str:
    """`linger N`: FreeSWITCH closes the socket N s after the hangup.

    A bare `linger` never closes it; the bound keeps a missed close from pinning
    the connection.
    """
    return f"linger {int(seconds)}"


def one_line(value: str) -> str:
    """`value` with CR and LF replaced by spaces, safe inside one header line."""
    if "\n" in value or "\r" in value:
        return value.replace("\r", " ").replace("\n", " ")
    return value


def new_app_uuid() -> str:
    return str(uuidlib.uuid4())


def execute(app: str, arg: str, app_uuid: str) -> str:
    """`sendmsg` that runs one dialplan application on the controlled channel.

    `Event-UUID` comes back as `Application-UUID` in that application's
    CHANNEL_EXECUTE_COMPLETE, which tells its completion apart from any other
    run of the same application.  `event-lock: true` makes the channel finish
    this application before it looks at the next message: without it, a
    `hangup` queued behind a `playback` would cut the playback short.
    """
    lines = ["sendmsg", "call-command: execute", f"execute-app-name: {one_line(app)}"]
    if arg:
        lines.append(f"execute-app-arg: {one_line(arg)}")
    lines.append("event-lock: true")
    lines.append(f"Event-UUID: {app_uuid}")
    return "\n".join(lines)
