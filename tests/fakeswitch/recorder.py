"""``record_session``: a media bug on the caller's channel that writes a real WAV file.

As FreeSWITCH does it (mod_dptools record_session, switch_ivr_async.c record_callback):

* ``record_session PATH`` returns at once; the bug waits for what the channel variables
  ask: ``RECORD_BRIDGE_REQ=true`` until the channel is bridged, else
  ``media_bug_answer_req=true`` until it is answered, else it starts now.
* When it starts the file is opened: a directory that is not there or not writable fails
  the open (FreeSWITCH logs "Error opening" and removes the bug: no RECORD_START, no
  file); otherwise RECORD_START fires with ``Record-File-Path``.
* When it stops (``stop_record_session PATH|all``, or the channel's hangup state), the
  file is written — 16-bit PCM at 8 kHz, two channels with ``RECORD_STEREO=true`` — with
  the audio of the time it ran, less up to a second that had not reached the file (a call
  killed ~3 s after the answer left 2.54 s: DESIGN.md), ``record_seconds``/``record_ms``/
  ``record_samples`` are set, and RECORD_STOP fires.
* A bug that never started writes nothing and fires nothing.

The hangup state comes after a synchronous socket application has returned, so over a
``socket … full`` connection the daemon never sees RECORD_STOP (RECORD_START, fired while
its bridge ran, reaches it with the bridge's completion).

``FakeSwitch.recording_failure``: ``"unwritable"`` fails every open (a full disk),
``"empty"`` writes files without audio.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from .wav import RATE, write_stereo

if TYPE_CHECKING:  # pragma: no cover
    from .call import CallFlow

log = logging.getLogger(__name__)

MAX_TRAIL = 1.0          # sim seconds of audio that may not reach the file


class Recorder:
    def __init__(self, flow: "CallFlow", path: str) -> None:
        self.flow = flow
        self.path = path
        self.started_at: float | None = None
        self.done = False
        ch = flow.channel
        if _true(ch.get("RECORD_BRIDGE_REQ")):
            self.waits_for = "bridge"
        elif _true(ch.get("media_bug_answer_req")):
            self.waits_for = "answer"
        else:
            self.waits_for = ""
        flow.call.recordings.append(path)
        if not self.waits_for or (self.waits_for == "answer" and flow.call.answered):
            self.start()

    def on_answered(self) -> None:
        if self.waits_for == "answer":
            self.start()

    def on_bridged(self) -> None:
        if self.waits_for in ("bridge", "answer"):
            self.start()

    def start(self) -> None:
        if self.started_at is not None or self.done:
            return
        flow = self.flow
        directory = os.path.dirname(self.path) or "."
        if flow.sw.recording_failure == "unwritable" or not os.access(directory, os.W_OK | os.X_OK):
            log.error("call %s: Error opening %s", flow.uuid, self.path)
            self.done = True
            return
        self.started_at = flow.clock.now()
        flow.fire("RECORD_START", tail=(("Record-File-Path", self.path),))

    def stop(self) -> None:
        """Close the file (once): write it, set the record_* variables, fire RECORD_STOP."""
        if self.done:
            return
        self.done = True
        if self.started_at is None:
            return
        flow, ch = self.flow, self.flow.channel
        ended = flow.hangup_at if flow.hangup_at is not None else flow.clock.now()    # no audio after the hangup
        ran = max(0.0, ended - self.started_at)
        seconds = 0.0 if flow.sw.recording_failure == "empty" else max(0.0, ran - flow.rng.uniform(0, MAX_TRAIL))
        try:
            frames = write_stereo(self.path, seconds)
        except OSError as exc:
            log.error("call %s: writing %s failed: %s", flow.uuid, self.path, exc)
            frames = 0
        ch.set("record_samples", str(frames))
        ch.set("record_seconds", str(frames // RATE))
        ch.set("record_ms", str(frames * 1000 // RATE))
        flow.call.recorded[self.path] = frames / RATE
        flow.fire("RECORD_STOP", tail=(("Record-File-Path", self.path),))


def record_session(flow: "CallFlow", arg: str) -> None:
    path = arg.strip().split(" ")[0]
    if path:
        flow.recorders.append(Recorder(flow, path))


def stop_record_session(flow: "CallFlow", arg: str) -> None:
    which = arg.strip()
    for recorder in flow.recorders:
        if which in ("all", recorder.path):
            recorder.stop()


def _true(value) -> bool:
    return (value or "").lower() in ("true", "yes", "on", "1")
