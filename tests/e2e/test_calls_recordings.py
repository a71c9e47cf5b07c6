"""Call recordings end to end: the daemon asks the simulated FreeSWITCH to record, the file is real.

The company records external calls (`recording: {calls: external, announce: …}`);
the simulator's record_session writes a stereo WAV from the bridge's answer to the
hangup, less up to a second (DESIGN.md), and fires RECORD_START / RECORD_STOP.
"""
from __future__ import annotations

import os
import stat
import wave

import pytest

from daemon.recording_disk import RecordingDisk
from store.recordings import relative_path
from tests.e2e.conftest import COMPANY
from tests.e2e.harness import WAIT
from tests.recordings.stalled_disk import StalledDisk, day_directory, recording_file
from tests.waiting import wait_until

pytestmark = pytest.mark.parametrize("socket_mode", ["sync", "async"], indirect=True)

EXTERNAL = "+74957654321"


def recorded_company(tmp_path, directory=None) -> tuple[str, str, str]:
    announce = tmp_path / "recorded.wav"
    announce.write_bytes(b"RIFF")
    directory = str(directory or tmp_path / "recordings")
    company = COMPANY.replace('  caller_id: "+74951234567"\n', '  caller_id: "+74951234567"\n'
                              f"  recording: {{calls: external, announce: {announce}, retention_days: 30}}\n")
    return company.rstrip() + f"\nrecordings: {{dir: {directory}}}\n", str(announce), directory


@pytest.fixture
def recorded(make_harness, tmp_path):
    company, announce, directory = recorded_company(tmp_path)
    return make_harness(company), announce, directory


def test_a_call_answered_after_a_forward_is_recorded_from_the_answer(recorded):
    h, announce, directory = recorded
    h.employee("anna.smirnova", answer_after=2)          # ivan.petrov rings 20 s, then the forward to anna
    call = h.call("201", caller=EXTERNAL, talk_time=3)
    record = h.record_of(call)

    assert (record.answered_by, record.recording_state) == ("anna.smirnova", "ok")
    assert record.recording == f"{record.started:%Y/%m/%d}/{call.uuid}.wav"
    path = os.path.join(directory, record.recording)
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 8000)
        seconds = w.getnframes() / 8000
    # the talk (3 s less up to 1 s; a loaded machine stretches the scaled clock a little),
    # never the 22 s of ringing before it
    assert 2.0 <= seconds <= 4.5
    assert abs(record.recording_ms / 1000 - seconds) < 0.01
    assert call.recorded == {path: pytest.approx(seconds)}
    assert (record.recording_expires - record.started).days == 30

    # the announcement once, before anyone rang; recording asked for with the first bridge
    names = [name for name, _ in call.apps]
    assert call.apps.count(("playback", announce)) == 1
    assert names.index("playback") < names.index("record_session") < names.index("bridge")
    assert names.count("record_session") == 1 and names.count("bridge") == 2
    assert ("multiset", "RECORD_STEREO=true RECORD_BRIDGE_REQ=true") in call.apps
    assert [s.action for s in record.steps] == ["announce", "ring", "ring"]

    # only the daemon's user and the web's group can read it
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    for depth in range(3):                                # dd, mm, yyyy
        parent = os.path.dirname(path) if depth == 0 else os.path.dirname(parent)
        assert stat.S_IMODE(os.stat(parent).st_mode) & 0o777 == 0o750
    assert h.metric("callrouter_recordings_total") == 1


def test_a_call_to_voicemail_is_not_recorded(recorded):
    h, announce, directory = recorded
    call = h.call("203", caller=EXTERNAL)                 # s.kuznetsov never answers: voicemail after 15 s
    record = h.record_of(call)
    assert record.outcome == "voicemail" and call.voicemail == "203"
    assert (record.recording, record.recording_state, record.recording_ms) == (None, "", 0)
    names = [name for name, _ in call.apps]
    assert names.index("stop_record_session") < names.index("voicemail")
    assert call.apps.count(("playback", announce)) == 1
    assert call.recorded == {} and not any(files for _, _, files in os.walk(directory))
    assert h.metric("callrouter_recording_failures_total", reason="not_started") == 0


def test_internal_calls_are_neither_announced_nor_recorded_under_external(recorded):
    h, _, directory = recorded
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("202", caller="201")
    record = h.record_of(call)
    assert (record.direction, record.answered_by, record.recording_state) == ("internal", "anna.smirnova", "")
    assert not any(name in ("playback", "record_session") for name, _ in call.apps)


def test_an_unwritable_directory_is_reported_and_the_call_goes_through(make_harness, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    company, announce, _ = recorded_company(tmp_path, blocker / "recordings")
    h = make_harness(company)
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("202", caller=EXTERNAL)
    record = h.record_of(call)
    assert (record.answered_by, record.recording_state, record.recording) == ("anna.smirnova", "", None)
    assert not any(name == "record_session" for name, _ in call.apps)
    assert h.metric("callrouter_recording_failures_total", reason="unwritable") == 1


@pytest.mark.parametrize("failure, state, reason", [("unwritable", "failed", "not_started"),
                                                    ("empty", "empty", "empty")])
def test_a_recording_freeswitch_could_not_write_is_marked(recorded, failure, state, reason):
    h, _, directory = recorded
    h.sim.recording_failure = failure
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("202", caller=EXTERNAL, talk_time=2)
    record = h.record_of(call)
    assert (record.answered_by, record.recording_state) == ("anna.smirnova", state)
    assert h.metric("callrouter_recording_failures_total", reason=reason) == 1
    # an open that failed leaves nothing; a file no audio reached is removed by FreeSWITCH itself
    assert not any(files for _, _, files in os.walk(directory))


def test_a_call_nobody_answered_leaves_no_recording(recorded):
    h, _, directory = recorded
    call = h.call("204", caller=EXTERNAL, caller_hangs_up_after=4)     # boris.ivanov rings; the caller gives up
    record = h.record_of(call)
    assert (record.outcome, record.recording_state, record.recording) == ("abandoned", "", None)
    assert any(name == "record_session" for name, _ in call.apps)
    assert not any(files for _, _, files in os.walk(directory))


# ---------------------------------------------------------------- a stalled recordings.dir (NFS, SMB)

@pytest.fixture
def stalled_company(make_harness, tmp_path):
    """make(stalls, **disk bounds): a recorded company whose recordings' mount stalls on `stalls` paths."""
    stalls = []

    def make(stalls_on, **bounds):
        stalled = StalledDisk(stalls_on)
        stalls.append(stalled)
        company, announce, directory = recorded_company(tmp_path)
        return make_harness(company, recording_disk=RecordingDisk(through=stalled, **bounds)), stalled, announce
    yield make
    for stalled in stalls:
        stalled.release()


def test_a_stalled_recordings_dir_holds_up_no_other_call(stalled_company):
    h, stalled, _ = stalled_company(day_directory, directory_timeout=WAIT)
    h.employee("anna.smirnova", answer_after=1)
    h.employee("boris.ivanov", answer_after=1)
    first = h.place("202", caller=EXTERNAL, talk_time=1)
    wait_until(lambda: stalled.stalled == 1, what="the first call's day directory to stall")

    second = h.call("204", caller="202")               # routed, rung, answered and ended meanwhile
    assert second.answered_by == "boris.ivanov"
    assert not first.done and first.bridges == []       # still waiting for its directory

    stalled.release()                                   # the mount answers within the bound: recorded
    assert first.wait(WAIT)
    record = h.record_of(first)
    assert (record.answered_by, record.recording_state) == ("anna.smirnova", "ok")
    assert h.metric("callrouter_recording_failures_total", reason="timeout") == 0


def test_a_day_directory_not_made_in_time_leaves_the_call_routed_unrecorded(stalled_company, caplog):
    h, stalled, announce = stalled_company(day_directory, directory_timeout=0.05)
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("202", caller=EXTERNAL, talk_time=1)
    record = h.record_of(call)

    assert (record.answered_by, record.recording_state, record.recording) == ("anna.smirnova", "", None)
    # neither told it is recorded nor recorded: FreeSWITCH's record_session would stall the call on that mount
    assert not any(name == "record_session" or arg == announce for name, arg in call.apps)
    assert h.metric("callrouter_recording_failures_total", reason="timeout") == 1
    assert any(r.levelname == "ERROR" and getattr(r, "uuid", None) == call.uuid and "did not answer" in r.message
               for r in caplog.records)


def test_a_check_of_the_file_that_times_out_marks_the_recording_failed(stalled_company):
    h, stalled, _ = stalled_company(recording_file, check_timeout=0.05)
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("202", caller=EXTERNAL, talk_time=2)
    record = h.record_of(call)

    assert any(name == "record_session" for name, _ in call.apps)
    # failed but still naming its file: `callrouter recordings prune` checks it again
    assert (record.answered_by, record.recording_state, record.recording) == \
        ("anna.smirnova", "failed", relative_path(call.uuid, record.started))
    assert stalled.stalled >= 1
    assert h.metric("callrouter_recording_failures_total", reason="timeout") == 1
    assert h.metric("callrouter_recordings_total") == 0
