import datetime as dt

from store.calls import HistoryQuery
from tests.store.builders import record
from tests.store.conftest import T0


def test_a_record_comes_back_with_its_whole_path(store):
    original = record("c-1")
    store.write_records([original])

    assert store.history() == [original]


def test_a_uuid_is_written_once_however_often_it_is_submitted(store):
    assert store.write_records([record("c-1"), record("c-1")]) == ["c-1"]
    assert store.write_records([record("c-1"), record("c-2")]) == ["c-2"]

    assert [r.uuid for r in store.history()] == ["c-1", "c-2"]
    assert len(store.history()[0].steps) == 1


def test_a_call_with_no_path_and_no_answer_is_kept(store):
    missed = record("c-1", answered_by="", outcome="abandoned", steps=[])
    store.write_records([missed])

    [back] = store.history()
    assert (back.outcome, back.answered, back.steps) == ("abandoned", None, [])


def test_history_filters_by_time_employee_and_department(store):
    store.write_records([
        record("to-ivan", 0),
        record("to-sales", 10, target="department:Продажи", answered_by="anna.smirnova"),
        record("from-ivan", 20, target="employee:anna.smirnova", answered_by="anna.smirnova", caller="201"),
        record("to-anna", 30, target="employee:anna.smirnova", answered_by="anna.smirnova"),
    ])

    def uuids(**query):
        return [r.uuid for r in store.history(HistoryQuery(**query))]

    assert uuids(since=T0 + dt.timedelta(minutes=10), until=T0 + dt.timedelta(minutes=30)) == ["to-sales",
                                                                                               "from-ivan"]
    assert uuids(employee="ivan.petrov", employee_numbers=("ivan.petrov", "201")) == ["to-ivan", "from-ivan"]
    assert uuids(department="Продажи") == ["to-sales"]
    assert uuids(limit=2, newest_first=True) == ["to-anna", "from-ivan"]


def test_times_come_back_as_the_same_instants_whatever_zone_they_were_given_in(store):
    moscow = dt.timezone(dt.timedelta(hours=3))
    local = record("c-1")
    local.started = T0.astimezone(moscow)
    store.write_records([local])

    [back] = store.history(HistoryQuery(since=T0, until=T0 + dt.timedelta(seconds=1)))
    assert back.started == T0 and back.started.tzinfo == dt.timezone.utc
