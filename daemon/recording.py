"""Recording a call: decided once routed, started by FreeSWITCH at the answer, checked at the end.

FreeSWITCH records; the daemon asks and checks (DESIGN.md, "FreeSWITCH mechanics"):

* `prepare` decides from the rule of whom the call was placed to (config.recording) and
  makes the day's directory `{dir}/{yyyy}/{mm}/{dd}` (0750, setgid so that files take
  the directory's group: the web process's). A directory that cannot be made (disk
  full, permissions) is logged and counted (`callrouter_recording_failures_total`
  {reason="unwritable"}) and the call goes on unrecorded.
  FreeSWITCH's record_session would make the directory itself (0750 less its umask, no
  setgid of its own), but it does so, and opens the file, in the caller's channel
  thread before the bridge that follows it runs: on a mount that does not answer, the
  caller would wait in silence.  So the daemon's making of the directory also asks
  whether the mount answers: when it does not within `RecordingDisk.directory_timeout`
  the call is routed at once, neither announced nor recorded, logged and counted
  ({reason="timeout"}) — as for an unwritable directory, what the caller is told stays
  true.
* Before anyone is rung the caller hears the announcement (once per call: forwards
  are `resume`d plans of the same executor). Then, in the same write as the first
  bridge: `RECORD_STEREO=true` (caller left, callee right) and `RECORD_BRIDGE_REQ=true`,
  and `record_session FILE`: the media bug waits for a bridge, so nothing is recorded
  while it rings, whichever forward is answered is recorded from its answer, and
  voicemail or a message (no bridge) never is; a voicemail step also stops it
  (`stop_record_session FILE`) so that no later bridge could start it.
* RECORD_START (subscribed to for recorded calls only) says FreeSWITCH opened the file
  (record_session opens it at once, audio comes from the bridge); without it the open
  failed. At the end the file is checked on disk, where FreeSWITCH (on the same box)
  wrote it: its length from its size, `empty` when it holds no audio, `failed` when an
  answered call has no file and RECORD_START never came; the file of a call nobody
  answered is removed.  A file that RECORD_START announced and that is gone at the end
  was discarded by FreeSWITCH for holding no audio, so it too is `empty`: record_callback
  removes a recording into which nothing was written (v1.11.1 switch_ivr_async.c,
  SWITCH_ABC_TYPE_CLOSE, "Discarding empty file", RECORD_DISCARDED=true).
  Over a synchronous socket FreeSWITCH closes the file only after our socket has gone
  (its hangup state follows the socket application), so `finish` waits, bounded, for
  the WAV header to agree with the file's size — libsndfile writes the sizes on close.
  The RECORD_STOP of the hangup never reaches a synchronous socket.  (FreeSWITCH v1.11.1:
  mod_event_socket.c socket_function runs listener_run in the channel's thread and it
  closes the socket before returning; switch_core_state_machine.c switch_core_session_run
  then reaches CS_HANGUP: switch_core_session_hangup_state -> switch_core_media_bug_remove_all
  -> switch_ivr_async.c record_callback CLOSE: file closed, then RECORD_STOP.  An earlier
  hangup state needs `enable-early-hangup`, off in the stock switch.conf.xml.)

Every file-system call runs in a thread of `daemon.recording_disk`, never on the event
loop, each bounded: a stalled `recordings.dir` delays only that call's recording.  A
check at the end that gets no answer in time leaves the record `failed` but naming its
file, logged and counted ({reason="timeout"}); `callrouter recordings prune` checks
that file again and offers it when FreeSWITCH did write it (store.recordings).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import gevent

from config.recording import RecordingRule, recordings_dir, rule_for, rule_for_target
from config.snapshot import Snapshot
from daemon.metrics import Metrics
from daemon.recording_disk import DiskTimeout, RecordingDisk
from routing.types import Plan, Step
from store.records import CallRecord
from store import wavfile
from store.recordings import EMPTY, FAILED, OK, relative_path

log = logging.getLogger(__name__)

DIR_MODE = 0o750 | stat.S_ISGID     # the daemon's user writes, the web's group reads and enters
FILE_MODE = 0o640
SETTLE_TIMEOUT = 3.0                # seconds to wait for FreeSWITCH to close the file
SETTLE_POLL = 0.02
EVENTS = ("RECORD_START", "RECORD_STOP")
TIMEOUT = "timeout"                 # recording_failures_total's reason when recordings.dir did not answer


@dataclass(frozen=True)
class CallRecording:
    """One call's recording as planned."""
    path: Path                      # absolute, what FreeSWITCH writes
    relative: str                   # what the call record keeps
    expires: dt.datetime
    announce: Optional[str]
    stereo: bool = True

    def start_apps(self) -> tuple[tuple[str, str], ...]:
        stereo = "true" if self.stereo else "false"
        return (("multiset", f"RECORD_STEREO={stereo} RECORD_BRIDGE_REQ=true"), ("record_session", str(self.path)))

    def stop_app(self) -> tuple[str, str]:
        return ("stop_record_session", str(self.path))

    def announce_step(self, plan: Plan) -> Optional[Step]:
        if not self.announce:
            return None
        return Step("announce", file=self.announce, reason="recording", target=plan.target)


def rule_of(snapshot: Snapshot, plan: Plan) -> RecordingRule:
    """The rule of whom the call was placed to (its plan's target); the company's for anything else."""
    return rule_for_target(snapshot, plan.target) or rule_for(snapshot)


def rings_anyone(plan: Plan) -> bool:
    return plan.then is not None or any(step.action == "ring" for step in plan.steps)


def prepare(snapshot: Snapshot, plan: Plan, uuid: str, started: dt.datetime,
            metrics: Metrics, disk: RecordingDisk) -> Optional[CallRecording]:
    """The call's recording, or None when it is not recorded (or cannot be: logged and counted)."""
    if plan.kind in ("unknown", "feature") or not uuid or not rings_anyone(plan):
        return None
    rule = rule_of(snapshot, plan)
    if not rule.records(plan.internal):
        return None
    relative = relative_path(uuid, started)
    path = Path(recordings_dir(snapshot)) / relative
    try:
        disk.run(disk.directory_timeout, make_dirs, path.parent)
    except DiskTimeout:
        metrics.recording_failures_total.labels(TIMEOUT).inc()
        log.error("the call is not recorded: %s did not answer within %g s (a stalled mount?)", path.parent,
                  disk.directory_timeout, extra={"uuid": uuid, "reason": TIMEOUT})
        return None
    except OSError as exc:
        metrics.recording_failures_total.labels("unwritable").inc()
        log.error("cannot record the call: %s: %s", path.parent, exc.strerror or exc, extra={"uuid": uuid})
        return None
    return CallRecording(path, relative, started + dt.timedelta(days=rule.retention_days), rule.announce,
                         snapshot.file.recordings.stereo)


def make_dirs(directory: Path) -> None:
    """`directory` and its missing parents, each DIR_MODE (the umask does not narrow it)."""
    if directory.is_dir():
        return
    make_dirs(directory.parent)
    try:
        os.mkdir(directory, DIR_MODE)
    except FileExistsError:
        return                                  # another call made it meanwhile
    os.chmod(directory, DIR_MODE)


def finish(recording: CallRecording, record: CallRecord, started: bool, stopped: bool, metrics: Metrics,
           disk: RecordingDisk) -> None:
    """Fill the record's recording fields from the file FreeSWITCH left (see the module's docstring).

    `started` / `stopped`: RECORD_START / RECORD_STOP came (the file is closed after the latter).
    """
    uuid = record.uuid
    if record.answered is None or not record.answered_by:
        _discard(disk, recording.path, uuid)    # nobody talked: nothing was to be recorded
        return
    try:
        size = _recorded_size(disk, recording.path, started, stopped)
    except DiskTimeout:
        metrics.recording_failures_total.labels(TIMEOUT).inc()
        log.error("the call's recording could not be checked: %s did not answer within %g s (a stalled mount?);"
                  " `callrouter recordings prune` checks it again", recording.path, disk.check_timeout,
                  extra={"uuid": uuid, "reason": TIMEOUT})
        record.recording = recording.relative           # failed, with its path: not checked (store.recordings)
        record.recording_expires = recording.expires
        record.recording_state = FAILED
        return
    if size is None and started:
        _empty(record, metrics, "FreeSWITCH discarded the call's recording: no audio reached it", recording.path)
        return
    if size is None:
        metrics.recording_failures_total.labels("not_started").inc()
        log.error("the call was not recorded: FreeSWITCH left no file %s", recording.path,
                  extra={"uuid": uuid, "reason": "not_started"})
        record.recording_state = FAILED
        return
    _restrict(disk, recording.path, uuid)
    record.recording = recording.relative
    record.recording_ms = wavfile.audio_ms(size)
    record.recording_expires = recording.expires
    if record.recording_ms == 0:
        _empty(record, metrics, "the call's recording is empty", recording.path)
        return
    record.recording_state = OK
    metrics.recordings_total.inc()


def _empty(record: CallRecord, metrics: Metrics, message: str, path: Path) -> None:
    """An answered call whose recording holds no audio (media that never flowed)."""
    metrics.recording_failures_total.labels("empty").inc()
    log.warning(message, extra={"uuid": record.uuid, "file": str(path), "reason": "empty"})
    record.recording_state = EMPTY


def _recorded_size(disk: RecordingDisk, path: Path, started: bool, stopped: bool) -> Optional[int]:
    """The size of the file FreeSWITCH closed; None when there is none.  DiskTimeout."""
    if stopped or not started:
        return disk.run(disk.check_timeout, _size, path)     # closed, or never opened
    return _settled_size(disk, path)


def _size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _settled_size(disk: RecordingDisk, path: Path) -> Optional[int]:
    """The file's size once its header agrees with it (FreeSWITCH closed it), or after
    SETTLE_TIMEOUT seconds; None when absent.  Each look is bounded (DiskTimeout); the waits between are here."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        size = disk.run(disk.check_timeout, wavfile.closed_size, path)
        if size is not None and size != wavfile.OPEN:
            return size
        if time.monotonic() >= deadline:
            return disk.run(disk.check_timeout, _size, path)
        gevent.sleep(SETTLE_POLL)


def _restrict(disk: RecordingDisk, path: Path, uuid: str) -> None:
    """The file to FILE_MODE; a failure leaves FreeSWITCH's mode (its umask), and the recording stands."""
    try:
        disk.run(disk.check_timeout, os.chmod, path, FILE_MODE)
    except (OSError, DiskTimeout) as exc:
        log.warning("cannot restrict %s to %o: %s", path, FILE_MODE, exc, extra={"uuid": uuid})


def _discard(disk: RecordingDisk, path: Path, uuid: str) -> None:
    try:
        disk.run(disk.check_timeout, os.remove, path)
    except FileNotFoundError:
        return
    except (OSError, DiskTimeout) as exc:
        log.warning("cannot remove the unused recording %s: %s", path, exc, extra={"uuid": uuid})
        return
    log.info("removed the recording of a call nobody answered", extra={"uuid": uuid})
