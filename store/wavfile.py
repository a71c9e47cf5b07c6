"""What a recording's WAV file says about itself: closed or still being written, and how long.

FreeSWITCH writes call recordings with libsndfile as 16-bit PCM at 8 kHz, two channels
(RECORD_STEREO), behind a 44-byte RIFF header whose sizes are written only when the
file is closed: until then they say "no audio". So a file is closed when its RIFF size
agrees with its size on disk. The daemon reads this at a call's end
(daemon.recording), `callrouter recordings prune` when the daemon could not
(store.recordings).
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Optional

HEADER = 44                         # RIFF/fmt/data of a PCM file as FreeSWITCH writes it
BYTES_PER_SECOND = 8000 * 2 * 2     # 8 kHz, 16 bit, 2 channels
OPEN = -1                           # closed_size's answer for a file still being written


def closed_size(path: Path) -> Optional[int]:
    """The size of a closed WAV file; OPEN while it is being written; None when it is not there."""
    try:
        with open(path, "rb") as f:
            header = f.read(HEADER)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return None
    if len(header) < HEADER or header[:4] != b"RIFF" or header[36:40] != b"data":
        return OPEN
    riff, = struct.unpack_from("<I", header, 4)
    return size if riff + 8 == size else OPEN


def audio_ms(size: int) -> int:
    """The length of the audio in a closed file of `size` bytes."""
    return max(0, size - HEADER) * 1000 // BYTES_PER_SECOND
