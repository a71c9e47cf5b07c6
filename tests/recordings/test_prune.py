"""`callrouter recordings prune`: only what is due, every record kept, safe on several nodes at once."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time

from sqlalchemy import select

from store.recordings import ORPHAN_GRACE, prune, relative_path
from store.records import CallRecord
from store.tables import calls
from tests.fakeswitch.wav import append_packet, write_opened, write_stereo
from tests.store.conftest import open_store

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def recorded_call(uuid: str, started: dt.datetime, retention_days: int, directory, state: str = "ok") -> CallRecord:
    relative = relative_path(uuid, started)
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    write_stereo(path, 0.2)
    old = (NOW - dt.timedelta(days=10)).timestamp()
    os.utime(path, (old, old))
    return CallRecord(uuid=uuid, started=started, caller="+74951234567", called="201", direction="inbound",
                      target="employee:ivan", outcome="answered", answered=started, ended=started,
                      answered_by="ivan", recording=relative, recording_state=state, recording_ms=200,
                      recording_expires=started + dt.timedelta(days=retention_days))


def states(store) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(calls.c.uuid, calls.c.recording_state)).all())


def test_prune_deletes_only_what_is_due_and_keeps_the_records(store, tmp_path):
    directory = tmp_path / "rec"
    records = [
        recorded_call("old-30", NOW - dt.timedelta(days=31), 30, directory),         # due
        recorded_call("young-30", NOW - dt.timedelta(days=29), 30, directory),       # not yet
        recorded_call("old-365", NOW - dt.timedelta(days=100), 365, directory),      # a longer retention
        recorded_call("gone", NOW - dt.timedelta(days=40), 30, directory),           # due, file already deleted
    ]
    (directory / records[3].recording).unlink()
    store.write_records(records)

    result = prune(store, str(directory), NOW)

    assert (result.deleted, result.missing, result.orphans, result.failed) == (2, 1, 0, 0)
    assert states(store) == {"old-30": "pruned", "young-30": "ok", "old-365": "ok", "gone": "pruned"}
    assert not (directory / records[0].recording).exists()
    assert (directory / records[1].recording).exists() and (directory / records[2].recording).exists()
    assert len(store.history()) == 4                                   # the history stays
    assert prune(store, str(directory), NOW).deleted == 0              # nothing twice


def test_files_no_record_keeps_go_but_not_those_being_recorded(store, tmp_path):
    directory = tmp_path / "rec"
    kept = recorded_call("kept", NOW - dt.timedelta(days=5), 90, directory)
    failed = recorded_call("failed", NOW - dt.timedelta(days=5), 90, directory, state="failed")
    failed_file = failed.recording
    failed.recording = None                                            # as the daemon writes a failed recording
    store.write_records([kept, failed])
    orphan = directory / relative_path("no-record", NOW - dt.timedelta(days=5))
    write_stereo(orphan, 0.1)
    old = (NOW - ORPHAN_GRACE - dt.timedelta(hours=1)).timestamp()
    os.utime(orphan, (old, old))
    recording_now = directory / relative_path("in-progress", NOW)
    recording_now.parent.mkdir(parents=True, exist_ok=True)
    write_stereo(recording_now, 0.1)                                   # written just now: no record yet
    os.utime(recording_now, (NOW.timestamp(), NOW.timestamp()))

    result = prune(store, str(directory), NOW)

    assert result.orphans == 2
    assert not orphan.exists() and not (directory / failed_file).exists()
    assert (directory / kept.recording).exists() and recording_now.exists()


def test_a_recording_the_daemon_could_not_check_is_checked_again(store, tmp_path):
    """The daemon's check at the call's end timed out (a stalled mount): the record says
    failed and keeps the path; prune looks at the file and offers what FreeSWITCH wrote."""
    directory = tmp_path / "rec"
    started = NOW - dt.timedelta(days=1)
    good, empty, gone, still_open = (recorded_call(uuid, started, 90, directory, state="failed")
                                     for uuid in ("good", "empty", "gone", "still-open"))
    write_stereo(directory / good.recording, 2.5)
    write_stereo(directory / empty.recording, 0)
    (directory / gone.recording).unlink()
    write_opened(directory / still_open.recording)                    # FreeSWITCH has not closed it yet:
    append_packet(directory / still_open.recording)                   # audio behind a header saying "none"
    store.write_records([good, empty, gone, still_open])

    result = prune(store, str(directory), NOW)

    assert result.recovered == 1
    assert states(store) == {"good": "ok", "empty": "empty", "gone": "failed", "still-open": "failed"}
    with store.engine.connect() as conn:
        rows = {r.uuid: r for r in conn.execute(select(calls.c.uuid, calls.c.recording, calls.c.recording_ms))}
    assert (rows["good"].recording, rows["good"].recording_ms) == (good.recording, 2500)
    assert rows["gone"].recording is None and rows["still-open"].recording == still_open.recording
    assert (directory / good.recording).exists() and (directory / still_open.recording).exists()


def test_a_file_that_cannot_be_deleted_stays_offered_and_is_tried_again(store, tmp_path):
    directory = tmp_path / "rec"
    store.write_records([recorded_call("stuck", NOW - dt.timedelta(days=31), 30, directory)])

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    assert prune(store, str(directory), NOW, remove=refuse).failed == 1
    assert states(store) == {"stuck": "ok"}                       # still pointing at a file that is there
    assert prune(store, str(directory), NOW).deleted == 1
    assert states(store) == {"stuck": "pruned"}


def test_a_path_outside_the_directory_is_never_deleted(store, tmp_path):
    directory = tmp_path / "rec"
    victim = tmp_path / "victim.wav"
    victim.write_bytes(b"keep me")
    record = recorded_call("evil", NOW - dt.timedelta(days=31), 30, directory)
    record.recording = "../victim.wav"
    store.write_records([record])
    prune(store, str(directory), NOW)
    assert victim.read_bytes() == b"keep me"


def test_several_nodes_at_once_delete_each_file_once(store, tmp_path):
    directory = tmp_path / "rec"
    due = [recorded_call(f"due-{n}", NOW - dt.timedelta(days=31, minutes=n), 30, directory) for n in range(120)]
    young = [recorded_call(f"young-{n}", NOW - dt.timedelta(days=1), 30, directory) for n in range(20)]
    store.write_records(due + young)
    url = store.engine.url.render_as_string(hide_password=False)
    removed: list[str] = []
    lock = threading.Lock()

    def remove(path):
        time.sleep(0.001)                              # widen the window between claim and delete
        os.remove(path)
        with lock:
            removed.append(path.stem)

    results, errors = [], []

    def node():
        s = open_store(url, busy_timeout=10)
        try:
            results.append(prune(s, str(directory), NOW, remove=remove))
        except Exception as exc:                       # pragma: no cover - reported below
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(removed) == sorted(r.uuid for r in due)                  # each once, only the due ones
    # each due record claimed once; its file deleted by the claimer, or (claimed by one node,
    # seen by another's orphan sweep first) found gone by it
    assert sum(r.deleted + r.missing for r in results) == len(due)
    assert sum(r.failed for r in results) == 0
    assert set(states(store).items()) == {(r.uuid, "pruned") for r in due} | {(r.uuid, "ok") for r in young}


def test_the_command_prunes_the_config_files_store(tmp_path):
    from store.database import Store
    from config.loader import load
    from tests.web.company import COMPANY_YAML
    config = tmp_path / "company.yaml"
    config.write_text(COMPANY_YAML + "store: {url: 'sqlite:///store.sqlite3', spool: records.spool}\n"
                      "recordings: {dir: rec}\n", encoding="utf-8")
    store = Store.for_snapshot(load(str(config)))
    store.upgrade()
    now = dt.datetime.now(dt.timezone.utc)
    store.write_records([recorded_call("due", now - dt.timedelta(days=100), 90, tmp_path / "rec"),
                         recorded_call("kept", now - dt.timedelta(days=10), 90, tmp_path / "rec")])
    result = subprocess.run([sys.executable, "-m", "daemon", "recordings", "prune", "-c", str(config)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 recordings past their retention deleted (0 already gone)" in result.stdout
    assert states(store) == {"due": "pruned", "kept": "ok"}
    store.close()


def test_the_retention_the_config_gives_now_applies(store, tmp_path):
    """Shortened: older recordings go at the next run. Lengthened: those still there stay.
    A target the file no longer has keeps the expiry stored when it was recorded."""
    directory = tmp_path / "rec"
    shortened = recorded_call("shortened", NOW - dt.timedelta(days=40), 90, directory)
    shortened.target = "department:Продажи"
    lengthened = recorded_call("lengthened", NOW - dt.timedelta(days=40), 30, directory)
    lengthened.target = "employee:ivan"
    gone = recorded_call("gone-target", NOW - dt.timedelta(days=40), 30, directory)
    gone.target = "employee:left.the.company"
    store.write_records([shortened, lengthened, gone])
    now_days = {"department:Продажи": 30, "employee:ivan": 365}

    prune(store, str(directory), NOW, retention=now_days.get, shortest_days=30)

    assert states(store) == {"shortened": "pruned", "lengthened": "ok", "gone-target": "pruned"}
