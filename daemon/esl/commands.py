"""The few commands an outbound call sends, as the exact text FreeSWITCH reads.

A command is header lines ended by an empty line, so a value holding a line
break would end our header early and let the rest be read as further headers or
even a new command.  Values can carry caller-controlled text (a display name
copied into a dial string), so line breaks are replaced before anything is sent.
"""
from __future__ import annotations

import uuid as uuidlib

CONNECT = "connect"
MYEVENTS = "myevents"
RESUME = "resume"


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
