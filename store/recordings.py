"""Call recordings in the store: which call has a playable one, who listened, and pruning.

`calls.recording` is the file's path relative to `recordings.dir`; `recording_state`
says whether it can be played (`ok`), and prune turns `ok` into `pruned` when the
file is deleted. Every read for the web goes through the scope rule
(`store.scope.scope_clause`): a call outside it has no recording either.

Pruning is safe on several nodes at once and while calls are being recorded: a row
is claimed by an UPDATE that only succeeds while it is still `ok` (one node wins,
the others see 0 rows), and only the winner deletes the file; a file already gone
is fine. A file whose record does not keep it (pruned, failed, empty, or no record
at all) is an orphan and is deleted too — but only once it has not been written to
for `ORPHAN_GRACE`: a call being recorded has no record until it ends, and a record
may wait in the daemon's spool while the database is down.

A `failed` record that still names its file is one the daemon could not check at the
call's end (recordings.dir did not answer in time: daemon.recording); prune checks it
again before looking for orphans, so that a conversation FreeSWITCH did record is
offered (`ok`) rather than deleted.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from sqlalchemy import or_, select, update

from config.access import Scope
from store import wavfile
from store.scope import scope_clause
from store.tables import calls, recording_access

log = logging.getLogger(__name__)

OK, FAILED, EMPTY, PRUNED = "ok", "failed", "empty", "pruned"
ACTIONS = ("listen", "download")
ORPHAN_GRACE = dt.timedelta(days=2)
BATCH = 500


@dataclass(frozen=True)
class Recording:
    uuid: str
    path: str                   # relative to recordings.dir
    ms: int                     # length


@dataclass(frozen=True)
class Access:
    id: int
    at: dt.datetime
    login: str
    call_uuid: str
    action: str
    address: str


def relative_path(uuid: str, started: dt.datetime) -> str:
    """`{yyyy}/{mm}/{dd}/{uuid}.wav`, by the call's start in UTC (the same on every node)."""
    day = started.astimezone(dt.timezone.utc)
    return f"{day:%Y}/{day:%m}/{day:%d}/{uuid}.wav"


def resolve(directory: str, relative: str) -> Optional[Path]:
    """The file under `directory`, or None when `relative` would leave it (a record is never trusted)."""
    base = Path(directory).resolve()
    path = (base / relative).resolve()
    return path if path.is_relative_to(base) and path != base else None


# --------------------------------------------------------------------------- the web

def playable(store, scope: Scope, uuid: str) -> Optional[Recording]:
    """The call's recording when the call is in the scope, the scope may listen, and it is good."""
    if not scope.can_listen:
        return None
    stmt = select(calls.c.uuid, calls.c.recording, calls.c.recording_ms).where(
        calls.c.uuid == uuid, calls.c.recording_state == OK, calls.c.recording.is_not(None), scope_clause(scope))
    with store._read() as conn:
        row = conn.execute(stmt).first()
    return Recording(row.uuid, row.recording, row.recording_ms) if row is not None else None


def log_access(store, at: dt.datetime, login: str, uuid: str, action: str, address: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown recording access {action!r}")
    with store._write() as conn:
        conn.execute(recording_access.insert().values(at=at, login=login[:64], call_uuid=uuid[:64], action=action,
                                                      address=address[:64]))


def accesses(store, limit: int = 100, before_id: Optional[int] = None) -> list[Access]:
    """The audit log, newest first; `before_id` pages on."""
    stmt = select(recording_access).order_by(recording_access.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(recording_access.c.id < before_id)
    with store._read() as conn:
        return [Access(**row) for row in conn.execute(stmt).mappings()]


def iter_accesses(store) -> Iterator[Access]:
    """The whole audit log, newest first, a batch at a time (for the CSV export)."""
    before = None
    while True:
        page = accesses(store, BATCH, before)
        yield from page
        if len(page) < BATCH:
            return
        before = page[-1].id


# --------------------------------------------------------------------------- pruning

@dataclass
class PruneResult:
    deleted: int = 0            # recordings past their retention, files deleted and records marked
    missing: int = 0            # of those, files that were already gone
    orphans: int = 0            # files no record keeps
    failed: int = 0             # files that could not be deleted (left `ok`, tried again next run)
    recovered: int = 0          # recordings the daemon could not check, found good and offered now


Retention = Callable[[str], Optional[int]]        # a call's target -> retention_days now; None: unknown


def prune(store, directory: str, now: dt.datetime, *, retention: Optional[Retention] = None,
          shortest_days: Optional[int] = None, grace: dt.timedelta = ORPHAN_GRACE,
          remove: Callable[[Path], None] = os.remove) -> PruneResult:
    """Delete every recording past its retention, then the orphans; see the module's docstring.

    A recording's retention is the one its call's target has in the config now
    (`retention`, the file's rules: an admin who shortens it expects older recordings
    to go at the next run, and one who lengthens it, the recordings still there to
    stay); for a target the file no longer has, the expiry stored when it was recorded.
    `shortest_days`, the fewest days any rule gives, bounds which rows need a look.
    """
    result = PruneResult()
    cutoff = now - dt.timedelta(days=shortest_days) if retention is not None and shortest_days is not None else None
    maybe = calls.c.recording_expires <= now
    if cutoff is not None:
        maybe = or_(maybe, calls.c.started <= cutoff)
    for row in _calls_by_id(store, select(calls.c.id, calls.c.uuid, calls.c.recording, calls.c.started,
                                          calls.c.target, calls.c.recording_expires)
                            .where(calls.c.recording_state == OK, maybe)):
        if _due(row, now, retention):
            _prune_one(store, directory, row, result, remove)
    _recheck(store, directory, result)
    _prune_orphans(store, directory, now - grace, result, remove)
    return result


def _recheck(store, directory: str, result: PruneResult) -> None:
    """Check the files the daemon could not (module docstring): a closed file with audio
    makes its record `ok`; an empty one `empty`; a missing one leaves it `failed`
    without a path. A file still open (its header not yet written) waits for a later run;
    if it never closes, the orphan pass deletes it after its grace and the next run
    finds it missing."""
    for row in _calls_by_id(store, select(calls.c.id, calls.c.uuid, calls.c.recording).where(
            calls.c.recording_state == FAILED, calls.c.recording.is_not(None))):
        _recheck_one(store, directory, row, result)


def _calls_by_id(store, stmt) -> Iterator:
    """The rows of `stmt` (a SELECT of `calls` with its id) in id order, BATCH per short read
    transaction, none held open while the caller works on a batch."""
    last_id = 0
    while True:
        with store._read() as conn:
            rows = conn.execute(stmt.where(calls.c.id > last_id).order_by(calls.c.id).limit(BATCH)).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last_id = rows[-1].id


def _recheck_one(store, directory: str, row, result: PruneResult) -> None:
    path = resolve(directory, row.recording)
    size = wavfile.closed_size(path) if path is not None else None
    if size == wavfile.OPEN:
        return
    ms = wavfile.audio_ms(size) if size is not None else 0
    values = dict(recording_state=OK, recording_ms=ms) if ms else \
        dict(recording_state=EMPTY) if size is not None else dict(recording=None)
    with store._write() as conn:
        conn.execute(update(calls).where(calls.c.id == row.id, calls.c.recording_state == FAILED).values(**values))
    if ms:
        result.recovered += 1
        log.info("recording of call %s checked again: %d ms, now offered", row.uuid, ms, extra={"uuid": row.uuid})


def _due(row, now: dt.datetime, retention: Optional[Retention]) -> bool:
    days = retention(row.target) if retention is not None else None
    if days is not None:
        return row.started + dt.timedelta(days=days) <= now
    return row.recording_expires is not None and row.recording_expires <= now


def _prune_one(store, directory, row, result: PruneResult, remove) -> None:
    with store._write() as conn:
        claimed = conn.execute(update(calls).where(calls.c.id == row.id, calls.c.recording_state == OK)
                               .values(recording_state=PRUNED)).rowcount
    if claimed != 1:
        return                                  # another node pruned it first
    path = resolve(directory, row.recording or "")
    try:
        if path is not None:
            remove(path)
    except FileNotFoundError:
        result.missing += 1
    except OSError as exc:
        log.warning("could not delete the recording of call %s (%s): %s; kept for the next run",
                    row.uuid, path, exc, extra={"uuid": row.uuid})
        with store._write() as conn:            # the record must keep pointing at a file that is still there
            conn.execute(update(calls).where(calls.c.id == row.id, calls.c.recording_state == PRUNED)
                         .values(recording_state=OK))
        result.failed += 1
        return
    result.deleted += 1
    log.info("recording of call %s deleted after its retention", row.uuid, extra={"uuid": row.uuid})


def _prune_orphans(store, directory: str, written_before: dt.datetime, result: PruneResult, remove) -> None:
    cutoff = written_before.timestamp()
    batch: list[Path] = []
    for path in _recording_files(directory):
        try:
            if path.stat().st_mtime >= cutoff:
                continue                        # being recorded, or its record is still on the way
        except FileNotFoundError:
            continue
        batch.append(path)
        if len(batch) >= BATCH:
            _drop_unkept(store, batch, result, remove)
            batch = []
    if batch:
        _drop_unkept(store, batch, result, remove)


def _recording_files(directory: str) -> Iterator[Path]:
    base = Path(directory)
    if not base.is_dir():
        return
    for root, _, files in os.walk(base):
        for name in files:
            if name.endswith(".wav"):
                yield Path(root) / name


def _drop_unkept(store, paths: list[Path], result: PruneResult, remove) -> None:
    """Delete the files among `paths` that no `ok` record points to."""
    by_uuid = {p.stem: p for p in paths}
    with store._read() as conn:
        kept = set(conn.scalars(select(calls.c.uuid).where(calls.c.uuid.in_(list(by_uuid)),
                                                           calls.c.recording_state == OK)))
    for uuid, path in by_uuid.items():
        if uuid in kept:
            continue
        try:
            remove(path)
            result.orphans += 1
            log.info("deleted %s: no call record keeps it", path, extra={"uuid": uuid})
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete %s: %s", path, exc, extra={"uuid": uuid})
            result.failed += 1
