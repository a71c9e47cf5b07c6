"""Dialplan applications a ``sendmsg call-command: execute`` can run on the caller's channel.

Each runs between CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE (switch_core_session_exec):
before the first, ``current_loop``/``total_loops``/``current_application(_data)`` are set;
Application-Response is the channel's ``current_application_response`` when some earlier
application left one (FreeSWITCH reports that stale value too), else ``_none_``.
Applications the simulator does not model complete at once.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable

from .bridge import Bridge
from .legs import new_uuid
from .recorder import record_session, stop_record_session

if TYPE_CHECKING:  # pragma: no cover
    from .call import AppRequest, CallFlow

log = logging.getLogger(__name__)

#: Sim seconds a playback lasts, and a voicemail recording (the caller leaves a message).
PLAYBACK_SECONDS = 0.5
VOICEMAIL_SECONDS = 3.0


def execute(flow: "CallFlow", request: "AppRequest") -> None:
    ch = flow.channel
    name, arg = request.name, request.arg
    app_uuid = request.event_uuid or new_uuid(flow.rng)
    flow.call.apps.append((name, arg))
    if request.loops:
        ch.set("current_loop", "1")
        ch.set("total_loops", str(request.loops))
    ch.set("current_application", name)
    ch.set("current_application_data", arg)
    head = (("Application", name),) + ((("Application-Data", arg),) if arg else ())
    flow.fire("CHANNEL_EXECUTE", tail=head + (("Application-UUID", app_uuid),))
    ch.set("current_application", name)
    log.debug("call %s: executing %s(%s)", flow.uuid, name, arg)
    handler = APPLICATIONS.get(name.lower(), _unknown)
    handler(flow, arg)
    response = ch.get("current_application_response") or "_none_"
    flow.fire("CHANNEL_EXECUTE_COMPLETE",
              tail=head + (("Application-Response", response), ("Application-UUID", app_uuid)))
    if request.loops and ch.up:
        ch.set("current_loop", None)
        ch.set("total_loops", None)
    flow.after_application()


def _set(flow: "CallFlow", arg: str) -> None:
    name, _, value = arg.partition("=")
    if name.strip():
        flow.channel.set(name.strip(), value)


def _multiset(flow: "CallFlow", arg: str) -> None:
    """``multiset a=1 b=2`` or ``multiset ^^:a=1:b=2``."""
    if arg.startswith("^^") and len(arg) > 2:
        items = arg[3:].split(arg[2])
    else:
        items = arg.split(" ")
    for item in items:
        _set(flow, item)


def _unset(flow: "CallFlow", arg: str) -> None:
    flow.channel.set(arg.strip(), None)


def _export(flow: "CallFlow", arg: str) -> None:
    """Set on this channel (unless ``nolocal:``) and list it in export_vars for the B legs."""
    local = True
    if arg.startswith("nolocal:"):
        local, arg = False, arg[len("nolocal:"):]
    name, _, value = arg.partition("=")
    name = name.strip()
    if not name:
        return
    if local:
        flow.channel.set(name, value)
    exported = [v for v in (flow.channel.get("export_vars") or "").split(",") if v]
    if name not in exported:
        exported.append(name)
    flow.channel.set("export_vars", ",".join(exported))


def _answer(flow: "CallFlow", arg: str) -> None:
    flow.mark_answered()


def _pre_answer(flow: "CallFlow", arg: str) -> None:
    flow.mark_media()


def _ring_ready(flow: "CallFlow", arg: str) -> None:
    flow.mark_ring()


def _playback(flow: "CallFlow", arg: str) -> None:
    """Plays for PLAYBACK_SECONDS; a channel that is not answered gets early media first."""
    flow.mark_media()
    if flow.wait(PLAYBACK_SECONDS):
        return
    ch = flow.channel
    samples = str(int(PLAYBACK_SECONDS * 8000))
    ch.set("playback_last_offset_pos", samples)
    ch.set("playback_seconds", str(int(PLAYBACK_SECONDS)))
    ch.set("playback_ms", str(int(PLAYBACK_SECONDS * 1000)))
    ch.set("playback_samples", samples)
    ch.set("current_application_response", "FILE PLAYED")


def _sleep(flow: "CallFlow", arg: str) -> None:
    try:
        millis = int(arg.strip() or "0")
    except ValueError:
        millis = 0
    flow.wait(millis / 1000)


def _voicemail(flow: "CallFlow", arg: str) -> None:
    """``voicemail [check] [auth] <profile> <domain> <id>``: only pre-answers (183) by itself."""
    words = [w for w in arg.split() if w not in ("check", "auth")]
    flow.call.voicemail = words[-1] if words else ""
    flow.call.voicemail_after_answer = flow.call.answered
    if not flow.call.answered:
        flow.mark_media()
    flow.wait(VOICEMAIL_SECONDS)


def _hangup(flow: "CallFlow", arg: str) -> None:
    flow.switch_hangs_up(arg.strip() or "NORMAL_CLEARING")


def _bridge(flow: "CallFlow", arg: str) -> None:
    Bridge(flow, arg).run()


def _unknown(flow: "CallFlow", arg: str) -> None:
    return None


APPLICATIONS: dict[str, Callable[["CallFlow", str], None]] = {
    "set": _set,
    "multiset": _multiset,
    "unset": _unset,
    "export": _export,
    "answer": _answer,
    "pre_answer": _pre_answer,
    "ring_ready": _ring_ready,
    "playback": _playback,
    "sleep": _sleep,
    "voicemail": _voicemail,
    "hangup": _hangup,
    "bridge": _bridge,
    "record_session": record_session,
    "stop_record_session": stop_record_session,
}
