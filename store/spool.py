"""Append-only spool of call records for while the database is unreachable.

One JSON object per line, fsync'd per batch, so an acknowledged batch survives a
crash or power loss. The writer replays the file from the start, in order, when
the database is back (also after a restart) and empties it once everything is
in; replaying a record twice is harmless because the store ignores a UUID it
already has.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Iterable

from store.records import CallRecord, LegRecord, StepRecord

log = logging.getLogger(__name__)

_TIMES = ("started", "answered", "ended", "recording_expires")


def encode(record: CallRecord) -> str:
    return json.dumps(dataclasses.asdict(record), ensure_ascii=False, separators=(",", ":"), default=_iso)


def decode(line: str) -> CallRecord:
    data = json.loads(line)
    steps = [StepRecord(**{**_times(s), "legs": [LegRecord(**leg) for leg in s.get("legs", ())]})
             for s in data.pop("steps", ())]
    return CallRecord(**_times(data), steps=steps)


def _iso(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot spool {type(value).__name__}")


def _times(data: dict) -> dict:
    return {k: (dt.datetime.fromisoformat(v) if k in _TIMES and v is not None else v) for k, v in data.items()}


class Spool:
    """The spool file and how far it has been replayed in this process."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.offset = 0                   # bytes already replayed into the database
        self._drop_torn_tail()

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > self.offset
        except FileNotFoundError:
            return False

    def append(self, records: Iterable[CallRecord]) -> int:
        """Append and fsync; raises OSError when the disk refuses (the caller keeps the records)."""
        data = "".join(encode(r) + "\n" for r in records).encode("utf-8")
        if not data:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return data.count(b"\n")

    def read(self, limit: int) -> tuple[list[CallRecord], int]:
        """Up to `limit` records after the replayed part, and the offset just past them."""
        records: list[CallRecord] = []
        offset = self.offset
        with open(self.path, "rb") as f:
            f.seek(offset)
            while len(records) < limit:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break                 # end of file
                offset += len(line)
                try:
                    records.append(decode(line.decode("utf-8")))
                except (ValueError, TypeError, KeyError) as exc:
                    log.error("skipping unreadable line at byte %d of spool %s: %s", offset - len(line), self.path, exc)
        return records, offset

    def mark_replayed(self, offset: int) -> None:
        """Remember progress; once everything is replayed, empty the file."""
        self.offset = offset
        if self.path.stat().st_size == offset:
            os.truncate(self.path, 0)
            self.offset = 0

    def _drop_torn_tail(self) -> None:
        """Cut a last line left unfinished by a crash, so later appends start on a fresh line."""
        try:
            with open(self.path, "rb+") as f:
                size = f.seek(0, os.SEEK_END)
                end = _after_last_newline(f, size)
                if end < size:
                    log.warning("spool %s: dropping %d bytes of an unfinished last record", self.path, size - end)
                    f.truncate(end)
        except FileNotFoundError:
            pass


def _after_last_newline(f, size: int, chunk: int = 65536) -> int:
    pos = size
    while pos > 0:
        step = min(chunk, pos)
        pos -= step
        f.seek(pos)
        found = f.read(step).rfind(b"\n")
        if found >= 0:
            return pos + found + 1
    return 0
