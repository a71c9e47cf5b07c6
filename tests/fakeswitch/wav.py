"""A real WAV file as FreeSWITCH's record_session writes one with RECORD_STEREO=true.

16-bit PCM at the codec's rate (8 kHz for PCMA/PCMU), two channels: what the
channel read (the caller) on the left, what it wrote (the other party) on the right.
The simulator has no audio, so each side carries a quiet tone of its own pitch:
enough for a browser to decode and play, and for a test to tell the sides apart.
"""
from __future__ import annotations

import functools
import math
import struct
import wave
from pathlib import Path

RATE = 8000
CHANNELS = 2
SAMPLE_BYTES = 2


def write_stereo(path: str | Path, seconds: float, *, rate: int = RATE, left_hz: float = 440.0,
                 right_hz: float = 660.0) -> int:
    """Write `seconds` of audio; returns the number of frames."""
    frames = max(0, int(round(seconds * rate)))
    second = _one_second(rate, left_hz, right_hz)
    whole, part = divmod(frames * CHANNELS * SAMPLE_BYTES, len(second))
    data = second * whole + second[:part]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_BYTES)
        out.setframerate(rate)
        out.writeframes(bytes(data))
    return frames


@functools.lru_cache(maxsize=8)
def _one_second(rate: int, left_hz: float, right_hz: float) -> bytes:
    """A second of the two tones (whole cycles of both at these pitches), made once."""
    amplitude = 3000
    step_l, step_r = 2 * math.pi * left_hz / rate, 2 * math.pi * right_hz / rate
    pack = struct.Struct("<hh").pack
    return b"".join(pack(int(amplitude * math.sin(step_l * n)), int(amplitude * math.sin(step_r * n)))
                    for n in range(rate))


def write_opened(path: str | Path, *, rate: int = RATE) -> None:
    """The file as libsndfile leaves it on open: a header whose sizes say "no audio yet"."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_BYTES)
        out.setframerate(rate)
        out.writeframes(b"")


def append_packet(path: str | Path, ms: int = 20, *, rate: int = RATE) -> None:
    """One packet of silence written after the header, which still says "no audio" until the file
    is closed: how a file being recorded looks to anyone who reads it meanwhile."""
    with open(path, "ab") as f:
        f.write(b"\0" * (rate * ms // 1000 * CHANNELS * SAMPLE_BYTES))
