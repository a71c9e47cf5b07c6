"""The record writer: batches, outages, the spool, restarts."""
import datetime as dt
from dataclasses import replace

import gevent
import pytest
from sqlalchemy import select

from store.spool import Spool, encode
from store.tables import calls
from store.writer import RecordWriter
from tests.store.builders import record, snapshot
from tests.store.conftest import metric, open_store
from tests.waiting import wait_until

SPOOLED = "callrouter_record_spooled_total"
FAILURES = "callrouter_record_write_failures_total"
DEPTH = "callrouter_record_queue_depth"


@pytest.fixture
def flaky_store(flaky):
    s = open_store(flaky.url)
    s.upgrade()
    yield s
    s.close()


def make_writer(store, tmp_path, metrics, **kwargs) -> RecordWriter:
    options = dict(batch_size=4, retry_initial=0.01, retry_max=0.05, gather=0.01)
    return RecordWriter(store, tmp_path / "records.spool", metrics, **{**options, **kwargs})


def written(store) -> list[str]:
    """UUIDs in the order they were written."""
    with store.engine.connect() as conn:
        return list(conn.scalars(select(calls.c.uuid).order_by(calls.c.id)))


def spool_lines(tmp_path) -> int:
    path = tmp_path / "records.spool"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_submitted_records_are_written_in_batches_in_order(store, tmp_path, metrics):
    writer = make_writer(store, tmp_path, metrics).start()
    for i in range(10):
        writer.submit(record(f"c-{i}", i))
    assert metric(metrics, DEPTH) == 10          # nothing written before the writer greenlet runs

    assert writer.flush(timeout=10)
    writer.stop()

    assert written(store) == [f"c-{i}" for i in range(10)]
    assert metric(metrics, DEPTH) == 0 and metric(metrics, FAILURES) == 0


def test_an_outage_mid_traffic_loses_nothing_and_duplicates_nothing(flaky, flaky_store, tmp_path, metrics):
    writer = make_writer(flaky_store, tmp_path, metrics).start()
    expected = [f"c-{i:02d}" for i in range(30)]

    def traffic():
        for i, uuid in enumerate(expected):
            if i == 10:
                flaky.down()
            if i == 20:
                wait_until(lambda: spool_lines(tmp_path) >= 10, what="records spooled during the outage")
                flaky.up()
            writer.submit(record(uuid, i))
            gevent.sleep(0)

    gevent.spawn(traffic).get(timeout=20)
    assert writer.flush(timeout=20)
    writer.stop()

    assert written(flaky_store) == expected
    assert metric(metrics, FAILURES) >= 1
    assert metric(metrics, SPOOLED) >= 10
    assert spool_lines(tmp_path) == 0                # replayed, then emptied


def test_records_spooled_before_a_restart_are_replayed_by_the_next_daemon(flaky, flaky_store, tmp_path, metrics):
    first = make_writer(flaky_store, tmp_path, metrics).start()
    flaky.down()
    for i in range(6):
        first.submit(record(f"old-{i}", i))
    first.stop(timeout=5)
    assert spool_lines(tmp_path) == 6
    flaky.up()

    second = make_writer(flaky_store, tmp_path, metrics).start()
    second.submit(record("new-0", 10))
    assert second.flush(timeout=10)
    second.stop()

    assert written(flaky_store) == [f"old-{i}" for i in range(6)] + ["new-0"]


def test_a_replay_interrupted_after_a_commit_does_not_write_twice(store, tmp_path, metrics):
    records = [record(f"c-{i}", i) for i in range(5)]
    Spool(tmp_path / "records.spool").append(records)
    store.write_records(records[:2])             # the first batch got in before the crash

    writer = make_writer(store, tmp_path, metrics).start()
    assert writer.flush(timeout=10)
    writer.stop()

    assert written(store) == [f"c-{i}" for i in range(5)]


def test_a_record_torn_by_a_crash_is_dropped_and_the_rest_replayed(store, tmp_path, metrics, caplog):
    path = tmp_path / "records.spool"
    whole = "".join(encode(record(f"c-{i}", i)) + "\n" for i in range(2))
    path.write_text(whole + encode(record("torn", 9))[:40], encoding="utf-8")

    writer = make_writer(store, tmp_path, metrics).start()
    assert writer.flush(timeout=10)
    writer.stop()

    assert written(store) == ["c-0", "c-1"]
    assert "unfinished last record" in caplog.text


def test_a_record_the_database_refuses_is_set_aside_and_the_rest_written(store, tmp_path, metrics, caplog):
    bad = record("bad", 1)
    bad.started = dt.datetime(2024, 3, 4, 9, 1)          # naive: refused, it would be stored shifted
    writer = make_writer(store, tmp_path, metrics).start()
    for r in (record("c-0", 0), bad, record("c-2", 2)):
        writer.submit(r)

    assert writer.flush(timeout=10)
    writer.stop()

    assert written(store) == ["c-0", "c-2"]
    assert '"uuid":"bad"' in (tmp_path / "records.spool.rejected").read_text(encoding="utf-8")
    assert "call bad: the store refuses its record" in caplog.text


def test_stopping_while_the_database_is_down_spools_the_queue(flaky, flaky_store, tmp_path, metrics):
    writer = make_writer(flaky_store, tmp_path, metrics, retry_initial=60, retry_max=60).start()
    flaky.down()
    for i in range(3):
        writer.submit(record(f"c-{i}", i))

    writer.stop(timeout=5)

    assert [r.uuid for r in Spool(tmp_path / "records.spool").read(10)[0]] == ["c-0", "c-1", "c-2"]
    flaky.up()
    assert written(flaky_store) == []


def test_calls_ending_one_after_another_are_written_in_one_transaction(store, tmp_path, metrics):
    transactions = []
    write_records = store.write_records
    store.write_records = lambda batch: transactions.append(len(batch)) or write_records(batch)
    writer = make_writer(store, tmp_path, metrics, batch_size=200, gather=5).start()

    for i in range(30):
        gevent.sleep(0.001)                         # a call ends every millisecond
        writer.submit(record(f"c-{i}", i))
    writer.stop()                                   # cuts the gathering short

    assert transactions == [30]
    assert written(store) == [f"c-{i}" for i in range(30)]


def test_stopping_while_gathering_writes_at_once(store, tmp_path, metrics):
    writer = make_writer(store, tmp_path, metrics, gather=60).start()
    gevent.sleep(0)
    writer.submit(record("c-0"))
    gevent.sleep(0)                                 # the writer starts its minute of gathering

    writer.stop(timeout=5)

    assert written(store) == ["c-0"] and spool_lines(tmp_path) == 0


def test_the_spool_named_in_the_config_is_relative_to_the_config_file(store, tmp_path, metrics):
    company = replace(snapshot(), source=str(tmp_path / "etc" / "company.yaml"))

    writer = RecordWriter.for_snapshot(store, company, metrics)

    assert writer.spool.path == tmp_path / "etc" / "var" / "records.spool"
