"""A mount that stops answering, for daemon.recording_disk.RecordingDisk's `through`.

Not a protocol mock: it stands for NFS or SMB stalling.  A file-system call on a path
`stalls(path)` picks waits in the pool's thread until `release()`, then runs.  It waits
at most `limit` seconds, so that a call made on the event loop by mistake (which would
freeze the test's own loop too) makes the test fail instead of hanging it.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from tests.waiting import WAIT


class StalledDisk:
    def __init__(self, stalls: Callable[[Path], bool] = lambda path: True, limit: float = WAIT):
        self.stalls = stalls
        self.limit = limit
        self.stalled = 0                    # calls that waited (counted in the pool's threads)
        self._released = threading.Event()

    def __call__(self, function: Callable, path, *args):
        if self.stalls(Path(path)) and not self._released.is_set():
            self.stalled += 1
            self._released.wait(self.limit)
        return function(path, *args)

    def release(self) -> None:
        self._released.set()


def day_directory(path: Path) -> bool:
    """The `{yyyy}/{mm}/{dd}` directory that daemon.recording makes before a call rings."""
    return path.suffix != ".wav"


def recording_file(path: Path) -> bool:
    """The WAV file that daemon.recording checks when the call ends."""
    return path.suffix == ".wav"
