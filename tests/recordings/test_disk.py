"""RecordingDisk: recordings' file-system calls in threads, each waited for at most a bound."""
from __future__ import annotations

import os
import time

import gevent
import pytest

from daemon.recording_disk import DiskTimeout, RecordingDisk
from tests.recordings.stalled_disk import StalledDisk
from tests.waiting import wait_until

BOUND = 0.05


@pytest.fixture
def stalled():
    disk = StalledDisk()
    yield disk
    disk.release()


def test_a_call_returns_its_result_or_its_error(tmp_path):
    disk = RecordingDisk()
    try:
        assert disk.run(1.0, os.path.isdir, tmp_path) is True
        with pytest.raises(FileExistsError):
            disk.run(1.0, os.mkdir, tmp_path)
    finally:
        disk.close()


def test_a_stalled_call_times_out_while_the_event_loop_goes_on(tmp_path, stalled):
    disk = RecordingDisk(through=stalled)
    ticks = []
    ticker = gevent.spawn(_tick, ticks)
    started = time.monotonic()
    try:
        with pytest.raises(DiskTimeout):
            disk.run(BOUND, os.mkdir, tmp_path / "day")
        assert time.monotonic() - started < 1.0
        assert len(ticks) >= 2                      # other greenlets ran while it waited
        assert not (tmp_path / "day").exists()

        stalled.release()                           # the mount answers: the thread finishes its mkdir
        wait_until(lambda: (tmp_path / "day").is_dir(), what="the stalled mkdir to finish")
    finally:
        ticker.kill()
        disk.close()


def test_threads_stuck_on_the_mount_make_later_calls_wait_only_their_own_bound(tmp_path, stalled):
    stalled.stalls = lambda path: path.name == "stuck"
    disk = RecordingDisk(threads=1, through=stalled)
    try:
        with pytest.raises(DiskTimeout):
            disk.run(BOUND, os.mkdir, tmp_path / "stuck")
        started = time.monotonic()
        with pytest.raises(DiskTimeout):            # no thread free, and no more are started
            disk.run(BOUND, os.mkdir, tmp_path / "fine")
        assert time.monotonic() - started < 1.0
        assert stalled.stalled == 1

        stalled.release()
        wait_until(lambda: _made(disk, tmp_path / "fine"), what="the thread to be free again")
    finally:
        disk.close()


def _tick(ticks: list) -> None:
    while True:
        gevent.sleep(0.005)
        ticks.append(1)


def _made(disk: RecordingDisk, directory) -> bool:
    try:
        disk.run(BOUND, os.makedirs, directory, 0o750, True)
    except DiskTimeout:
        return False
    return directory.is_dir()
