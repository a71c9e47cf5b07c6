"""``record_session``: a media bug on the caller's channel that writes a real WAV file.

As FreeSWITCH does it (mod_dptools record_session, switch_ivr_async.c record_callback):

* ``record_session PATH`` makes the file's directories and opens the file at once (a
  header that says "no audio yet"); a failed open is logged ("Error opening") and the
  application returns: no media bug, no RECORD_START. Otherwise the bug is added and its
  INIT fires RECORD_START with ``Record-File-Path`` — before any audio.
* Audio reaches the file only as the channel variables allow: with
  ``RECORD_BRIDGE_REQ=true`` from the bridge (an answered callee), with
  ``RECORD_ANSWER_REQ``/``media_bug_answer_req`` from the answer, else from now. While it
  records, the header still says "no audio" (libsndfile writes the sizes on close).
* When it stops (``stop_record_session PATH|all``, or the channel's hangup state), the
  file is closed — 16-bit PCM at 8 kHz, two channels with ``RECORD_STEREO=true`` — with
  the audio of the time it ran, less up to a second that had not reached the file (a call
  killed ~3 s after the answer left 2.54 s: DESIGN.md), ``record_seconds``/``record_ms``/
  ``record_samples`` are set, and RECORD_STOP fires. A bug that never wrote any audio
  has its file removed ("Discarding empty file", ``RECORD_DISCARDED=true``): FreeSWITCH
  v1.11.1 switch_ivr_async.c record_callback, SWITCH_ABC_TYPE_CLOSE, ``!rh->writes``
  (l.1665). Its other branch, "Discarding short file" under ``RECORD_MIN_SEC``, applies
  only to appended files (min_sec is 0 otherwise, l.3269).

The hangup state comes after a synchronous socket application has returned, so over a
``socket … full`` connection the daemon never sees a RECORD_STOP of the hangup, and the
file is closed only after the daemon has let go of the socket (or the linger time ran
out).  FreeSWITCH v1.11.1: mod_event_socket.c socket_function -> listener_run in the
channel's thread, socket closed at its end; switch_core_state_machine.c
switch_core_session_run, case CS_HANGUP -> switch_core_session_hangup_state ->
switch_core_media_bug_remove_all (switch_channel_perform_hangup runs it at once only with
``enable-early-hangup`` / CF_EARLY_HANGUP).  Pinned by tests/sim/test_outbound_sync_transcripts.py
``test_the_hangups_record_stop_reaches_only_an_async_socket``.

``FakeSwitch.recording_failure``: ``"unwritable"`` fails every open (a full disk),
``"empty"`` lets no audio reach the files (so they are discarded). (switch_ivr_async.c, switch_ivr_record_session_event
and record_callback.)
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from .wav import RATE, append_packet, write_opened, write_stereo

if TYPE_CHECKING:  # pragma: no cover
    from .call import CallFlow

log = logging.getLogger(__name__)

MAX_TRAIL = 1.0          # sim seconds of audio that may not reach the file


class Recorder:
    def __init__(self, flow: "CallFlow", path: str) -> None:
        self.flow = flow
        self.path = path
        self.audio_from: float | None = None     # sim time audio began to reach the file
        self.done = False
        ch = flow.channel
        self.bridge_req = _true(ch.get("RECORD_BRIDGE_REQ"))
        self.answer_req = _true(ch.get("RECORD_ANSWER_REQ")) or _true(ch.get("media_bug_answer_req"))
        flow.call.recordings.append(path)
        if not self._open():
            self.done = True
            return
        flow.fire("RECORD_START", tail=(("Record-File-Path", self.path),))
        if not self.bridge_req and (not self.answer_req or flow.call.answered):
            self._audio()

    def _open(self) -> bool:
        """switch_ivr_record_session: make the directories, open the file, or log and give up."""
        flow = self.flow
        try:
            if flow.sw.recording_failure == "unwritable":
                raise OSError(28, "No space left on device")
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            write_opened(self.path)
        except OSError:
            log.error("call %s: Error opening %s", flow.uuid, self.path)
            return False
        return True

    def on_answered(self) -> None:
        if not self.bridge_req and self.answer_req:
            self._audio()

    def on_bridged(self) -> None:
        self._audio()

    def _audio(self) -> None:
        if self.audio_from is not None or self.done:
            return
        self.audio_from = self.flow.clock.now()
        try:
            append_packet(self.path)
        except OSError:
            pass

    def stop(self) -> None:
        """Close the file (once): write it, set the record_* variables, fire RECORD_STOP."""
        if self.done:
            return
        self.done = True
        flow, ch = self.flow, self.flow.channel
        seconds = 0.0
        if self.audio_from is not None and flow.sw.recording_failure != "empty":
            ended = flow.hangup_at if flow.hangup_at is not None else flow.clock.now()   # no audio after the hangup
            seconds = max(0.0, ended - self.audio_from - flow.rng.uniform(0, MAX_TRAIL))
        try:
            if not os.path.exists(self.path):
                frames = 0                      # unlinked while open: the close writes into nothing
            else:
                frames = write_stereo(self.path, seconds)
        except OSError as exc:
            log.error("call %s: writing %s failed: %s", flow.uuid, self.path, exc)
            frames = 0
        ch.set("record_samples", str(frames))
        ch.set("record_seconds", str(frames // RATE))
        ch.set("record_ms", str(frames * 1000 // RATE))
        if frames:
            flow.call.recorded[self.path] = frames / RATE
        else:
            self._discard()
        flow.fire("RECORD_STOP", tail=(("Record-File-Path", self.path),))


    def _discard(self) -> None:
        """record_callback's "Discarding empty file": the file goes, the channel says so."""
        log.debug("call %s: Discarding empty file %s", self.flow.uuid, self.path)
        self.flow.channel.set("RECORD_DISCARDED", "true")
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


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
